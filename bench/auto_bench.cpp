// Accuracy per cost of the ReLU integrators (issue 12, benchmark 1): relu2 gradient flow at
// n=100, d=10, m=1000 (sphere data, seed 2024, NTK scaling, sum loss) to t = 5, on one thread.
// Error = ‖θ(T) − θ_ref(T)‖ / ‖θ_ref(T) − θ0‖ against "exact" at rtol 1e-11, for
//   gradflow "auto" at rtol 1e-2 … 1e-10, "exact" at 1e-6 and 1e-8, "off" (plain dopri5),
//   SciPy solve_ivp RK45 and DOP853 (bench/python/flow_peer.py) at rtol 1e-3 … 1e-8,
// all at atol = 1e-2·rtol, each under a wall limit. Like SciPy (t_eval = [T]), the gradflow
// runs keep only the final state, except "off", which needs samples to stop at the wall limit. Writes a Markdown table to stdout and the
// points to $GRADFLOW_BENCH_DIR/results/auto_bench.csv (figure: bench/auto_bench.gp).
//   auto_bench [wall_limit_seconds]          (bash bench/run.sh auto_bench)
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "gradflow/gradflow.hpp"
#include "peers.hpp"
#include "relu2_flow.hpp"

using namespace gradflow;

using bench::make_problem;
using bench::Net;
using bench::Point;
using bench::run_gradflow;

int main(int argc, char** argv) {
  const double wall_limit = argc > 1 ? std::stod(argv[1]) : 60.0;
  const Index n = 100, d = 10, m = 1000;
  const double t_end = 5.0;
  bench::set_threads(1);
  setenv("OPENBLAS_NUM_THREADS", "1", 1);  // the peer's BLAS, before it imports NumPy
  const Net p = make_problem(n, d, m);
  bench::ScratchDir dir;
  bench::write_problem(p, dir);
  const double s = p.model().options().scale;

  Vec ref;
  const Point rp = run_gradflow(p, "exact", 1e-11, t_end, 1e9, ref, 1);
  std::fprintf(stderr, "[auto_bench] reference: %.1f s, %ld RHS (%s)\n", rp.wall, rp.evals, rp.note.c_str());
  const double motion = (ref - p.inst.theta0).norm();
  auto error_of = [&](const Vec& th) { return (th - ref).norm() / motion; };

  std::vector<Point> pts;
  auto add = [&](Point pt, const Vec* th) {
    if (th && pt.status == "completed") pt.error = error_of(*th);
    std::fprintf(stderr, "[auto_bench] %s rtol %.0e: %s t=%.3g %.2f s err %.2e\n", pt.integrator.c_str(), pt.rtol,
                 pt.status.c_str(), pt.t, pt.wall, pt.error);
    pts.push_back(pt);
  };
  Vec th;
  for (const double rt : {1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10})
    add(run_gradflow(p, "auto", rt, t_end, wall_limit, th, 1), &th);
  for (const double rt : {1e-6, 1e-8}) add(run_gradflow(p, "exact", rt, t_end, wall_limit, th, 1), &th);
  for (const double rt : {1e-4, 1e-6}) add(run_gradflow(p, "off", rt, t_end, wall_limit, th), &th);
  std::string blas;
  for (const double rt : {1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8}) {
    char args[512];
    std::snprintf(args, sizeof args, "dir=%s net=relu2 n=%ld d=%ld m=%ld s=%.17g T=%.17g rtol=%g atol=%g methods=RK45,DOP853 wall=%g",
                  dir.path.c_str(), long(n), long(d), long(m), s, t_end, rt, 1e-2 * rt, wall_limit);
    std::vector<std::string> info;
    for (const auto& r : bench::run_peer("flow_peer.py", args, &info)) {
      Point pt;
      pt.integrator = "SciPy " + r.str("method");
      pt.rtol = rt;
      pt.t = r.num("t");
      pt.wall = r.num("wall");
      pt.evals = static_cast<long>(r.num("nfev"));
      pt.status = r.str("status");
      const Vec ths = pt.status == "completed" ? bench::read_bin(dir.file("theta_" + r.str("method") + ".bin"), ref.size()) : Vec();
      add(pt, &ths);
    }
    if (blas.empty() && !info.empty()) blas = info.front();
  }

  const char* out_dir = std::getenv("GRADFLOW_BENCH_DIR");
  const std::string csv = std::string(out_dir ? out_dir : ".") + "/results/auto_bench.csv";
  std::ofstream f(csv);
  f << "integrator,rtol,status,t,wall,rhs_evals,error\n";
  for (const Point& pt : pts)
    f << pt.integrator << ',' << pt.rtol << ',' << pt.status << ',' << pt.t << ',' << pt.wall << ',' << pt.evals << ','
      << pt.error << '\n';

  std::printf("## Accuracy per cost: relu2 gradient flow, n=%ld, d=%ld, m=%ld, t = %g\n\n", long(n), long(d), long(m), t_end);
  std::printf("Sphere data (seed 2024), NTK scaling, sum loss, one thread on both sides, atol = 1e-2·rtol. Error = "
              "‖θ(T) − θ_ref(T)‖ / ‖θ_ref(T) − θ0‖ against \"exact\" at rtol 1e-11 (%.1f s, %ld RHS evaluations; %s). "
              "Wall limit %g s per run (gradflow \"auto\" and \"exact\" keep only the final state, as SciPy does; "
              "\"off\" samples 100 times to stop at the limit). RHS evaluations do not include the one-GEMM "
              "forward and backward passes (notes; each about half an evaluation). "
              "Load average at end: %s.\n\n",
              rp.wall, rp.evals, rp.note.c_str(), wall_limit, bench::loadavg().c_str());
  std::printf("| integrator | rtol | status | t reached | wall s | RHS evals | error | notes |\n|---|---|---|---|---|---|---|---|\n");
  for (const Point& pt : pts)
    std::printf("| %s | %.0e | %s | %.3g | %.2f | %ld | %.2e | %s |\n", pt.integrator.c_str(), pt.rtol, pt.status.c_str(),
                pt.t, pt.wall, pt.evals, pt.error, pt.note.c_str());
  std::printf("\nPeer: %s, %s\n\nCommand: `bash bench/run.sh auto_bench` (runs `build-bench/bin/auto_bench %g`); "
              "figure: `gnuplot bench/auto_bench.gp`.\n",
              bench::python().c_str(), blas.c_str(), wall_limit);
  return 0;
}
