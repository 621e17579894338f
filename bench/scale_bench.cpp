// Scale (issue 12, benchmark 2): relu2 gradient flow at (n=300, d=30, m=3000) to t = 10 and at
// (n=1000, d=100, m=10000) to t = 1, rtol 1e-6, atol 1e-8, one thread on both sides:
//   gradflow "auto" and SciPy solve_ivp RK45 (bench/python/flow_peer.py), each under a wall limit;
//   the reference: gradflow "exact" at rtol 1e-9 to the last sample auto reached (every crossing
//   located, 1000× tighter), and RK45 run again to that same time, so that both errors are
//   measured at one time against one reference.
// Reports t reached, wall time, RHS evaluations, crossings and sliding episodes per unit time.
//   scale_bench [wall_limit_seconds]          (bash bench/run.sh scale_bench)
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "peers.hpp"
#include "relu2_flow.hpp"

using namespace gradflow;

int main(int argc, char** argv) {
  const double wall_limit = argc > 1 ? std::stod(argv[1]) : 300.0;
  const double rtol = 1e-6, atol = 1e-2 * rtol;
  bench::set_threads(1);
  setenv("OPENBLAS_NUM_THREADS", "1", 1);  // the peer's BLAS, before it imports NumPy
  struct Size { Index n, d, m; double t_end; };
  const Size sizes[] = {{300, 30, 3000, 10.0}, {1000, 100, 10000, 1.0}};

  std::printf("## Scale: relu2 gradient flow at the papers' sizes, rtol %g\n\n", rtol);
  std::printf("Sphere data (seed 2024), NTK scaling, sum loss, atol = 1e-2·rtol, one thread on both sides "
              "(OPENBLAS_NUM_THREADS=1 for SciPy). Each run stops at the first of 100 samples past the wall limit "
              "(%g s). t_c = the last sample auto reached; error = ‖θ(t_c) − θ_ref(t_c)‖ / ‖θ_ref(t_c) − θ0‖ with "
              "θ_ref from \"exact\" at rtol 1e-9 (every crossing located); RK45 is run a second time to t_c for its "
              "error. Load average at start: %s.\n\n",
              wall_limit, bench::loadavg().c_str());
  std::printf("| n, d, m | integrator | rtol | status | t reached | wall s | RHS evals | error at t_c | crossings per unit time | sliding episodes per unit time | notes |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  std::string blas;
  for (const Size& sz : sizes) {
    const bench::Net p = bench::make_problem(sz.n, sz.d, sz.m);
    bench::ScratchDir dir;
    bench::write_problem(p, dir);
    const double s = p.model().options().scale;
    auto scipy = [&](double T, double wall) {
      char args[512];
      std::snprintf(args, sizeof args, "dir=%s net=relu2 n=%ld d=%ld m=%ld s=%.17g T=%.17g rtol=%g atol=%g methods=RK45 wall=%g",
                    dir.path.c_str(), long(sz.n), long(sz.d), long(sz.m), s, T, rtol, atol, wall);
      std::vector<std::string> info;
      const auto rec = bench::run_peer("flow_peer.py", args, &info);
      if (blas.empty() && !info.empty()) blas = info.front();
      bench::Point pt;
      pt.integrator = "SciPy RK45";
      pt.rtol = rtol;
      if (!rec.empty()) {
        pt.t = rec.front().num("t");
        pt.wall = rec.front().num("wall");
        pt.evals = static_cast<long>(rec.front().num("nfev"));
        pt.status = rec.front().str("status");
      }
      return pt;
    };

    Vec th_auto, th_ref;
    bench::Point a = bench::run_gradflow(p, "auto", rtol, sz.t_end, wall_limit, th_auto);
    const double tc = a.t;  // a sample time: runs stop at samples
    std::fprintf(stderr, "[scale_bench] n=%ld auto: t=%.4g in %.1f s\n", long(sz.n), a.t, a.wall);
    bench::Point ref = bench::run_gradflow(p, "exact", 1e-9, tc, 1e9, th_ref);
    const double motion = (th_ref - p.inst.theta0).norm();
    a.error = (th_auto - th_ref).norm() / motion;
    bench::Point rk = scipy(sz.t_end, wall_limit);
    bench::Point rk_c = scipy(tc, 1e9);
    if (rk_c.status == "completed")
      rk.error = (bench::read_bin(dir.file("theta_RK45.bin"), th_ref.size()) - th_ref).norm() / motion;
    std::fprintf(stderr, "[scale_bench] n=%ld RK45: t=%.4g in %.1f s; reference %.1f s\n", long(sz.n), rk.t, rk.wall, ref.wall);

    char size[64];
    std::snprintf(size, sizeof size, "%ld, %ld, %ld", long(sz.n), long(sz.d), long(sz.m));
    auto row = [&](const bench::Point& pt, bool rates) {
      std::printf("| %s | %s | %.0e | %s | %.4g | %.1f | %ld | %.2e |", size, pt.integrator.c_str(), pt.rtol,
                  pt.status.c_str(), pt.t, pt.wall, pt.evals, pt.error);
      if (rates && pt.t > 0) std::printf(" %.4g | %.4g |", pt.crossings / pt.t, pt.sliding_episodes / pt.t);
      else std::printf(" – | – |");
      std::printf(" %s |\n", pt.note.c_str());
    };
    row(a, true);
    ref.integrator += " (reference, to t_c)";
    row(ref, true);
    row(rk, false);
    std::printf("| %s | SciPy RK45, to t_c | %.0e | %s | %.4g | %.1f | %ld | (above) | – | – | |\n", size, rtol,
                rk_c.status.c_str(), rk_c.t, rk_c.wall, rk_c.evals);
    std::fflush(stdout);
  }
  std::printf("\nPeer: %s, %s\n\nCommand: `bash bench/run.sh scale_bench` (runs `build-bench/bin/scale_bench %g`).\n",
              bench::python().c_str(), blas.c_str(), wall_limit);
  return 0;
}
