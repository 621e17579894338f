// Benchmark 2: gradient flow by gradflow against SciPy's solve_ivp (RK45, DOP853).
// The same flow θ̇ = −∇L(θ) (sum squared loss, MATH.md §2) on the same data and θ0, written to a
// scratch directory that the SciPy peer (bench/python/flow_peer.py, NumPy right-hand side) reads:
//   tanh   two_layer, NTK scaling 1/√m, both layers trained — gradflow: plain dopri5;
//   relu2  Du et al., a = ±1 fixed, only W trained — gradflow: the event-aware switching
//          integrator (the default of `gradflow run` for relu models).
// Same rtol and atol on both sides; accuracy is measured against a tight gradflow reference.
// SciPy gets a wall limit per run (it chatters on relu2) and reports the flow time it reached.
//   flow_bench [wall_limit_seconds [case indices, e.g. 0,3 [gradflow threads]]]
#include <cstdio>
#include <string>
#include <vector>

#include "common.hpp"
#include "gradflow/gradflow.hpp"
#include "gradflow/integrate/switching.hpp"
#include "peers.hpp"

using namespace gradflow;

namespace {

struct Case {
  const char* net;  // tanh | relu2
  Index n, d, m;
  double t_end;
  bool reference;  // a tight reference is affordable (relu2: its cost is dominated by events)
};

struct Net {
  Dataset data;
  ModelInstance inst;
  std::unique_ptr<Objective> obj;
  const TwoLayer& model() const { return dynamic_cast<const TwoLayer&>(*inst.model); }
};

Net make_problem(const Case& c) {
  Rng rng(2024);
  DataOptions dopt;
  dopt.kind = "sphere";  // unit inputs, Gaussian labels
  dopt.n = c.n;
  dopt.d = c.d;
  Net p;
  p.data = make_dataset(dopt, rng);
  ModelOptions mo;
  const bool relu2 = std::string(c.net) == "relu2";
  mo.kind = relu2 ? "relu2" : "two_layer";
  mo.activation = relu2 ? "relu" : "tanh";
  mo.scaling = "ntk";
  mo.width = c.m;
  p.inst = make_model(mo, p.data, rng);
  p.obj = std::make_unique<Objective>(*p.inst.model, p.data.Y, Reduction::sum);
  return p;
}

struct Run {
  Outcome out;
  Vec theta;
  double wall = 0;
};

/// gradflow's integrator for the net: switching for relu2, plain dopri5 otherwise. It stops at
/// the first of 200 sample times past `wall_limit` seconds (the same limit SciPy gets).
Run run_gradflow(const Net& p, bool relu2, double t_end, const IntegrateOptions& o, double wall_limit,
                 SwitchingStats* stats = nullptr, bool exact = false) {
  Run r;
  r.theta = p.inst.theta0;
  std::vector<double> times;
  for (int k = 1; k <= 200; ++k) times.push_back(t_end * k / 200);
  const double t0 = bench::now();
  auto keep = [&](double, const Vec&) { return bench::now() - t0 < wall_limit; };
  SwitchingStats st;
  if (relu2) {
    SwitchingOptions so;
    so.step_over = !exact;
    r.out = integrate_switching(*p.obj, p.model(), r.theta, 0.0, times, o, keep, st, so);
  } else {
    r.out = integrate(gradient_flow(*p.obj), r.theta, 0.0, times, o, keep);
  }
  r.wall = bench::now() - t0;
  if (stats) *stats = st;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const double wall_limit = argc > 1 ? std::stod(argv[1]) : 30.0;
  const double rtol = 1e-6, atol = 1e-8;
  // Horizons: long enough for the loss to fall clearly at small sizes, short at the largest
  // (each right-hand side there costs two 2-GFLOP GEMMs).
  const std::vector<Case> cases = {
      {"tanh", 100, 10, 1000, 5.0, true},  {"tanh", 300, 30, 3000, 1.0, true},  {"tanh", 1000, 100, 10000, 0.05, true},
      {"relu2", 100, 10, 1000, 0.5, true}, {"relu2", 300, 30, 3000, 0.1, false}, {"relu2", 1000, 100, 10000, 0.01, false},
  };
  const int threads = argc > 3 ? std::stoi(argv[3]) : 2;
  bench::set_threads(threads);

  std::printf("## Gradient flow: gradflow vs SciPy solve_ivp (NumPy right-hand side)\n\n");
  std::printf("Same data (unit-sphere inputs, Gaussian labels, seed 2024), same θ0, sum squared loss; "
              "rtol = %g, atol = %g on both sides (odeint's max-norm vs SciPy's RMS norm: the accuracy "
              "column shows what each tolerance bought). Error = ‖θ(T) − θ_ref(T)‖ / ‖θ_ref(T) − θ0‖ with "
              "θ_ref from gradflow at rtol 1e-12 (tanh: fehlberg78; relu2: switching exact). "
              "2 threads on both sides (Eigen/OpenMP; OpenBLAS). Wall limit %g s per run on both sides "
              "(a run that hits it reports the flow time reached, and its rate is over that horizon). "
              "Speed-up = SciPy's wall time per unit flow time / gradflow's, same run (> 1: gradflow faster). "
              "Load average at start: %s.\n\n",
              rtol, atol, wall_limit, bench::loadavg().c_str());
  std::printf("| net | n | d | m | T | integrator | status | t reached | wall s | s per unit t | RHS evals | error | L(T)/L(0) | speed-up |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);

  std::string blas;
  std::vector<std::string> notes;
  const std::string only = argc > 2 ? argv[2] : "";  // e.g. "0,3": run those cases only
  for (std::size_t ci = 0; ci < cases.size(); ++ci) {
    if (!only.empty() && ("," + only + ",").find("," + std::to_string(ci) + ",") == std::string::npos) continue;
    const Case& c = cases[ci];
    const bool relu2 = std::string(c.net) == "relu2";
    const Net p = make_problem(c);
    bench::ScratchDir dir;
    bench::write_bin(dir.file("X.bin"), p.data.X);
    bench::write_bin(dir.file("y.bin"), p.data.Y);
    bench::write_bin(dir.file("theta0.bin"), p.inst.theta0);
    if (relu2) bench::write_bin(dir.file("a.bin"), p.model().outer(p.inst.theta0));
    const double s = p.model().options().scale;
    const double L0 = p.obj->value(p.inst.theta0);

    IntegrateOptions ref_o;
    ref_o.rtol = 1e-12;
    ref_o.atol = 1e-14;
    ref_o.stepper = relu2 ? "dopri5" : "fehlberg78";
    Run ref;
    if (c.reference) {
      ref = run_gradflow(p, relu2, c.t_end, ref_o, 1e9, nullptr, true);  // relu2: exact, the reference integrator
      std::fprintf(stderr, "[flow_bench] %s n=%ld: reference %s in %.1f s, %ld RHS\n", c.net, long(c.n),
                   to_string(ref.out.status).c_str(), ref.wall, ref.out.counters.rhs_evals);
    }
    const double motion = c.reference ? (ref.theta - p.inst.theta0).norm() : 0.0;
    auto error = [&](const Vec& th, double t) {
      if (!c.reference || t < c.t_end) return std::string("–");
      char e[32];
      std::snprintf(e, sizeof e, "%.2e", (th - ref.theta).norm() / motion);
      return std::string(e);
    };

    IntegrateOptions o;
    o.rtol = rtol;
    o.atol = atol;
    SwitchingStats st;
    const Run gf = run_gradflow(p, relu2, c.t_end, o, wall_limit, &st);
    if (relu2)
      notes.push_back(std::string(c.net) + " n=" + std::to_string(c.n) + ": gradflow " +
                      std::to_string(gf.out.counters.steps_accepted) + " steps, " + std::to_string(st.events) +
                      " events, " + std::to_string(st.switches) + " switches, " + std::to_string(st.sliding_episodes) +
                      " sliding episodes (" + std::to_string(st.sliding_pairs_max) + " pairs at most), " +
                      std::to_string(st.forward_evals) + " extra forward passes");
    const double gf_rate = gf.wall / gf.out.t;

    auto row = [&](const char* name, const std::string& status, double t, double wall, long evals, const std::string& err,
                   const std::string& loss, const std::string& speedup) {
      std::printf("| %s | %ld | %ld | %ld | %g | %s | %s | %.4g | %.3g | %.3g | %ld | %s | %s | %s |\n", c.net, long(c.n),
                  long(c.d), long(c.m), c.t_end, name, status.c_str(), t, wall, wall / t, evals, err.c_str(),
                  loss.c_str(), speedup.c_str());
    };
    char buf[3][64];
    const bool gf_done = gf.out.t >= c.t_end;
    std::snprintf(buf[1], 64, "%.3g", p.obj->value(gf.theta) / L0);
    row(relu2 ? "gradflow switching auto" : "gradflow dopri5", gf_done ? "completed" : "wall_limit", gf.out.t,
        gf.wall, gf.out.counters.rhs_evals, error(gf.theta, gf.out.t), gf_done ? buf[1] : "–", "1");

    char args[512];
    std::snprintf(args, sizeof args, "dir=%s net=%s n=%ld d=%ld m=%ld s=%.17g T=%.17g rtol=%g atol=%g methods=RK45,DOP853 wall=%g",
                  dir.path.c_str(), c.net, long(c.n), long(c.d), long(c.m), s, c.t_end, rtol, atol, wall_limit);
    std::vector<std::string> info;
    const auto recs = bench::run_peer("flow_peer.py", args, &info);
    if (blas.empty() && !info.empty()) blas = info.front();
    for (const auto& r : recs) {
      const std::string method = r.str("method"), status = r.str("status");
      const double t = r.num("t"), wall = r.num("wall");
      std::string err = "–", loss = "–", speed;
      const double ratio = (wall / t) / gf_rate;
      if (status == "completed") {
        const Vec th = bench::read_bin(dir.file("theta_" + method + ".bin"), p.inst.theta0.size());
        std::snprintf(buf[1], 64, "%.3g", p.obj->value(th) / L0);
        err = error(th, t);
        loss = buf[1];
      }
      std::snprintf(buf[2], 64, "%.2f×", ratio);
      speed = buf[2];
      row(("SciPy " + method).c_str(), status, t, wall, static_cast<long>(r.num("nfev")), err, loss, speed);
    }
    std::fflush(stdout);
  }
  std::printf("\n");
  for (const auto& nt : notes) std::printf("- %s\n", nt.c_str());
  std::printf("\nLoad average at end: %s.\n", bench::loadavg().c_str());
  std::printf("\nPeer: %s, %s\n", bench::python().c_str(), blas.c_str());
  std::printf("\nCommand: `bash bench/run.sh flow_bench` (runs `build-bench/bin/flow_bench %g` with "
              "GRADFLOW_PYTHON=/usr/bin/python3 GRADFLOW_BENCH_DIR=bench).\n",
              wall_limit);
  return 0;
}
