// Accuracy per cost of the ReLU integrators (issue 12, benchmark 1): relu2 gradient flow at
// n=100, d=10, m=1000 (sphere data, seed 2024, NTK scaling, sum loss) to t = 5, on one thread.
// Error = ‖θ(T) − θ_ref(T)‖ / ‖θ_ref(T) − θ0‖ against "exact" at rtol 1e-11, for
//   gradflow "auto" at rtol 1e-4 … 1e-10, "exact" at 1e-6 and 1e-8, "off" (plain dopri5),
//   SciPy solve_ivp RK45 and DOP853 (bench/python/flow_peer.py) at rtol 1e-3 … 1e-8,
// all at atol = 1e-2·rtol, each under a wall limit. Writes a Markdown table to stdout and the
// points to $GRADFLOW_BENCH_DIR/results/auto_bench.csv (figure: bench/auto_bench.gp).
//   auto_bench [wall_limit_seconds]          (bash bench/run.sh auto_bench)
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "gradflow/gradflow.hpp"
#include "gradflow/integrate/switching.hpp"
#include "peers.hpp"

using namespace gradflow;

namespace {

struct Net {
  Dataset data;
  ModelInstance inst;
  std::unique_ptr<Objective> obj;
  const TwoLayer& model() const { return dynamic_cast<const TwoLayer&>(*inst.model); }
};

Net make_problem(Index n, Index d, Index m) {
  Rng rng(2024);
  DataOptions dopt;
  dopt.kind = "sphere";
  dopt.n = n;
  dopt.d = d;
  Net p;
  p.data = make_dataset(dopt, rng);
  ModelOptions mo;
  mo.kind = "relu2";
  mo.scaling = "ntk";
  mo.width = m;
  p.inst = make_model(mo, p.data, rng);
  p.obj = std::make_unique<Objective>(*p.inst.model, p.data.Y, Reduction::sum);
  return p;
}

struct Point {
  std::string integrator;
  double rtol = 0, t = 0, wall = 0, error = std::nan("");
  long evals = 0;
  std::string status, note;
};

/// One gradflow run to t_end ("auto", "exact" or "off"), stopped at the first of 100 samples
/// past the wall limit.
Point run_gradflow(const Net& p, const std::string& scheme, double rtol, double t_end, double wall_limit,
                   Vec& theta) {
  IntegrateOptions o;
  o.rtol = rtol;
  o.atol = 1e-2 * rtol;
  o.max_steps = 100'000'000;
  std::vector<double> times;
  for (int k = 1; k <= 100; ++k) times.push_back(t_end * k / 100);
  theta = p.inst.theta0;
  const double t0 = bench::now();
  auto keep = [&](double, const Vec&) { return bench::now() - t0 < wall_limit; };
  Outcome out;
  SwitchingStats st;
  if (scheme == "off") {
    out = integrate(gradient_flow(*p.obj), theta, 0.0, times, o, keep);
  } else {
    SwitchingOptions so;
    so.step_over = scheme == "auto";
    out = integrate_switching(*p.obj, p.model(), theta, 0.0, times, o, keep, st, so);
  }
  Point pt;
  pt.integrator = "gradflow " + scheme;
  pt.rtol = rtol;
  pt.t = out.t;
  pt.wall = bench::now() - t0;
  pt.evals = out.counters.rhs_evals;
  pt.status = out.t >= t_end ? "completed" : "wall_limit";
  if (scheme != "off") {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%ld steps, %ld events, %ld stepped over, %ld kink cuts, %ld sliding episodes",
                  out.counters.steps_accepted, st.events, st.stepped_crossings, st.kink_cuts, st.sliding_episodes);
    pt.note = buf;
    if (st.large_jumps > 0) pt.note += ", " + std::to_string(st.large_jumps) + " large jumps";
  }
  return pt;
}

}  // namespace

int main(int argc, char** argv) {
  const double wall_limit = argc > 1 ? std::stod(argv[1]) : 60.0;
  const Index n = 100, d = 10, m = 1000;
  const double t_end = 5.0;
  bench::set_threads(1);
  const Net p = make_problem(n, d, m);
  bench::ScratchDir dir;
  bench::write_bin(dir.file("X.bin"), p.data.X);
  bench::write_bin(dir.file("y.bin"), p.data.Y);
  bench::write_bin(dir.file("theta0.bin"), p.inst.theta0);
  bench::write_bin(dir.file("a.bin"), p.model().outer(p.inst.theta0));
  const double s = p.model().options().scale;

  Vec ref;
  const Point rp = run_gradflow(p, "exact", 1e-11, t_end, 1e9, ref);
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
  for (const double rt : {1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10}) add(run_gradflow(p, "auto", rt, t_end, wall_limit, th), &th);
  for (const double rt : {1e-6, 1e-8}) add(run_gradflow(p, "exact", rt, t_end, wall_limit, th), &th);
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
              "Wall limit %g s per run. gradflow's RHS evaluations include the kink corrections' gradients. "
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
