// Scale (issue 12, benchmark 2): relu2 gradient flow at (n=300, d=30, m=3000) to t = 10 and at
// (n=1000, d=100, m=10000) to t = 1, rtol 1e-6, atol 1e-8, one thread on both sides:
//   gradflow "auto" and SciPy solve_ivp RK45 (bench/python/flow_peer.py), each under a wall limit,
//   each keeping the final state (and gradflow ten samples on the way, for its wall limit).
// The reference is "auto" at a tight rtol (1e-10 at n = 300, 1e-9 at n = 1000) to t_end ("exact"
// at these sizes costs hours: its events are dense). It is trusted by a check on a short horizon
// t_k, where "exact" at the same rtol (every crossing located) is affordable: the reference
// scheme's distance to it there is reported next to the errors it is used to measure.
// Reports t reached, wall time, RHS evaluations, crossings and sliding episodes per unit time.
//   scale_bench                               (bash bench/run.sh scale_bench)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "peers.hpp"
#include "relu2_flow.hpp"

using namespace gradflow;

int main() {
  const double rtol = 1e-6;
  bench::set_threads(1);
  setenv("OPENBLAS_NUM_THREADS", "1", 1);  // the peer's BLAS, before it imports NumPy
  // t_check: long enough for a thousand crossings or more, short enough for "exact". The wall
  // limits keep the whole benchmark, references included, near an hour and a half.
  struct Size { Index n, d, m; double t_end, t_check, wall_limit, ref_rtol; };
  const Size sizes[] = {{300, 30, 3000, 10.0, 0.1, 600.0, 1e-10}, {1000, 100, 10000, 1.0, 0.001, 600.0, 1e-9}};

  std::printf("## Scale: relu2 gradient flow at the papers' sizes, rtol %g\n\n", rtol);
  std::printf("Sphere data (seed 2024), NTK scaling, sum loss, atol = 1e-2·rtol, one thread on both sides "
              "(OPENBLAS_NUM_THREADS=1 for SciPy). Both keep the final state (gradflow also ten samples on the "
              "way, where its wall limit of 600 s is checked). t_c = the last sample both reached; error = "
              "‖θ(t_c) − θ_ref(t_c)‖ / ‖θ_ref(t_c) − θ0‖ with θ_ref from \"auto\" at the reference rtol (1e-10 at "
              "n = 300, 1e-9 at n = 1000). The reference check: the same distance at t_k between \"auto\" and "
              "\"exact\", both at the reference rtol. RHS evaluations do not count the one-GEMM forward and backward "
              "passes (notes; each about half an evaluation). Load average at start: %s.\n\n",
              bench::loadavg().c_str());
  std::printf("| n, d, m | integrator | rtol | to | status | t reached | wall s | RHS evals | error | crossings per unit time | sliding episodes per unit time | notes |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
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
                    dir.path.c_str(), long(sz.n), long(sz.d), long(sz.m), s, T, rtol, 1e-2 * rtol, wall);
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
    auto say = [&](const char* what, const bench::Point& pt) {
      std::fprintf(stderr, "[scale_bench] n=%ld %s: t=%.4g in %.1f s\n", long(sz.n), what, pt.t, pt.wall);
    };
    char size[64];
    std::snprintf(size, sizeof size, "%ld, %ld, %ld", long(sz.n), long(sz.d), long(sz.m));
    auto row = [&](const bench::Point& pt, double to) {
      std::printf("| %s | %s | %.0e | %.4g | %s | %.4g | %.1f | %ld | %.2e |", size, pt.integrator.c_str(), pt.rtol, to,
                  pt.status.c_str(), pt.t, pt.wall, pt.evals, pt.error);
      if (pt.crossings > 0 && pt.t > 0) std::printf(" %.4g | %.4g |", pt.crossings / pt.t, pt.sliding_episodes / pt.t);
      else std::printf(" – | – |");
      std::printf(" %s |\n", pt.note.c_str());
      std::fflush(stdout);
    };
    auto distance = [&](const Vec& a, const Vec& b) { return (a - b).norm() / (b - p.inst.theta0).norm(); };

    // The reference check on [0, t_k].
    Vec th_ek, th_rk;
    bench::Point ek = bench::run_gradflow(p, "exact", sz.ref_rtol, sz.t_check, 1e9, th_ek, 1);
    bench::Point rk_check = bench::run_gradflow(p, "auto", sz.ref_rtol, sz.t_check, 1e9, th_rk, 1);
    rk_check.error = distance(th_rk, th_ek);
    ek.integrator += " (checks the reference)";
    rk_check.integrator += " (the reference scheme)";
    say("exact check", ek);

    // The race to t_end.
    Vec th_auto, th_ref;
    bench::Point a = bench::run_gradflow(p, "auto", rtol, sz.t_end, sz.wall_limit, th_auto, 10);
    say("auto", a);
    bench::Point rk = scipy(sz.t_end, sz.wall_limit);
    say("RK45", rk);
    // t_c is where the first of the two stopped; a run that went further (or RK45, which writes θ
    // only when it completes) runs again to t_c.
    const double tc = std::min(a.t, rk.t);
    Vec th_a = th_auto;
    if (tc < a.t) bench::run_gradflow(p, "auto", rtol, tc, 1e9, th_a, 1);
    bench::Point rk_c = rk;
    if (!(rk.status == "completed" && tc == sz.t_end)) rk_c = scipy(tc, 1e9);
    bench::Point ref = bench::run_gradflow(p, "auto", sz.ref_rtol, tc, 1e9, th_ref, 1);
    say("reference", ref);
    a.error = distance(th_a, th_ref);
    if (rk_c.status == "completed")
      rk.error = distance(bench::read_bin(dir.file("theta_RK45.bin"), th_ref.size()), th_ref);

    row(a, sz.t_end);
    row(rk, sz.t_end);
    ref.integrator += " (reference)";
    row(ref, tc);
    row(ek, sz.t_check);
    row(rk_check, sz.t_check);
    if (rk_c.wall != rk.wall) {
      rk_c.integrator += ", again to t_c for its error";
      row(rk_c, tc);
    }
  }
  std::printf("\nPeer: %s, %s\n\nCommand: `bash bench/run.sh scale_bench` (runs `build-bench/bin/scale_bench`).\n",
              bench::python().c_str(), blas.c_str());
  return 0;
}
