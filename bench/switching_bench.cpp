// Benchmark 1 of issue 5: accuracy per cost on relu2 gradient flow.
//
// The default experiment's network (seed 1, sphere data n=50, d=10, relu2 width 1000, sum loss)
// under gradient flow, integrated
//   - by the switching integrator "exact" (integrate_switching: events + Filippov sliding), and
//   - by plain controlled dopri5 (integrate with gradient_flow), which chatters on the surfaces,
// up to t_end, the time at which the loss has fallen by 1e6 (found first, by the switching
// integrator at rtol 1e-8). Accuracy is measured against a reference solution (switching,
// rtol 1e-12); the rtol 1e-10 run's distance to it bounds the reference's own error.
//
// Plain dopri5 cannot reach t_end in reasonable time, so it runs under a wall-clock limit
// (argument 1, seconds per run, default 90) turned into a step budget. What it reached is
// reported as measured; its cost to t_end is extrapolated linearly from its eval rate over the
// second half of the horizon it reached, and labelled so. On that reached horizon [0, t_p] both
// integrators are also compared head to head, including at equal accuracy.
//
//   build-bench/bin/switching_bench [plain_seconds]     (bash bench/run.sh switching_bench)
#include <cstdio>
#include <limits>
#include <memory>
#include <string>

#include "common.hpp"
#include "gradflow/gradflow.hpp"
#include "gradflow/integrate/switching.hpp"

using namespace gradflow;

namespace {

struct Net {
  Dataset ds;
  ModelInstance inst;
  std::unique_ptr<Objective> obj;
  const TwoLayer& model() const { return dynamic_cast<const TwoLayer&>(*inst.model); }
};

/// The same construction as the default experiment (runner.cpp): one seeded Rng split for data and model.
Net make_problem() {
  Rng rng(1);
  Rng data_rng = rng.split(), model_rng = rng.split();
  DataOptions dopt;
  dopt.kind = "sphere";
  dopt.n = 50;
  dopt.d = 10;
  ModelOptions mo;
  mo.kind = "relu2";
  mo.width = 1000;
  Net p;
  p.ds = make_dataset(dopt, data_rng);
  p.inst = make_model(mo, p.ds, model_rng);
  p.obj = std::make_unique<Objective>(*p.inst.model, p.ds.Y, Reduction::sum);
  return p;
}

IntegrateOptions tol(double rtol, long max_steps = 50'000'000) {
  IntegrateOptions o;
  o.rtol = rtol;
  o.atol = 1e-3 * rtol;  // θ entries are O(1)
  o.max_steps = max_steps;
  return o;
}

double max_abs(const Vec& a, const Vec& b) { return (a - b).cwiseAbs().maxCoeff(); }

/// One switching run over `times`; the states at every sample are kept.
struct SwitchRun {
  Outcome out;
  SwitchingStats st;
  std::vector<Vec> states;
};

SwitchRun run_switching(const Net& p, const std::vector<double>& times, const IntegrateOptions& o) {
  SwitchRun r;
  Vec th = p.inst.theta0;
  SwitchingOptions exact;  // this benchmark measures the event-by-event integrator ("exact")
  exact.step_over = false;
  r.out = integrate_switching(*p.obj, p.model(), th, 0.0, times, o, [&](double, const Vec& x) {
    r.states.push_back(x);
    return true;
  }, r.st, exact);
  return r;
}

struct WallLimit {};  // thrown by the counting system once the hard wall-clock limit has passed

/// One plain dopri5 run: the states, evaluation counts and times at every sample reached.
struct PlainRun {
  Outcome out;
  std::vector<Vec> states;
  std::vector<long> evals;
  bool hard_stop = false;
  long total_evals = 0;
  double wall = 0.0;
};

PlainRun run_plain(const Net& p, const std::vector<double>& times, const IntegrateOptions& o, double hard_limit) {
  PlainRun r;
  const System inner = gradient_flow(*p.obj);
  long count = 0;
  const double start = bench::now();
  const System counted = [&](const Vec& x, Vec& dx, double t) {
    if (++count % 4096 == 0 && bench::now() - start > hard_limit) throw WallLimit{};
    inner(x, dx, t);
  };
  Vec th = p.inst.theta0;
  try {
    r.out = integrate(counted, th, 0.0, times, o, [&](double, const Vec& x) {
      r.states.push_back(x);
      r.evals.push_back(count);
      return true;
    });
  } catch (const WallLimit&) {
    r.hard_stop = true;
  }
  r.total_evals = count;
  r.wall = bench::now() - start;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const double plain_seconds = argc > 1 ? std::stod(argv[1]) : 90.0;
  bench::set_threads(1);
  const double t_start = bench::now();
  const Net p = make_problem();
  const double L0 = p.obj->value(p.inst.theta0);

  // 1. t_end: the first time with L(t) ≤ L0·1e-6, interpolated in log L between samples 0.05 apart.
  double t_end = 0;
  {
    std::vector<double> times;
    for (int k = 0; k <= 4000; ++k) times.push_back(0.05 * k);
    double t_prev = 0, l_prev = L0;
    Vec th = p.inst.theta0;
    SwitchingStats st;
    integrate_switching(*p.obj, p.model(), th, 0.0, times, tol(1e-8), [&](double t, const Vec& x) {  // auto
      const double l = p.obj->value(x);
      if (l > 1e-6 * L0) {
        t_prev = t;
        l_prev = l;
        return true;
      }
      const double s = (std::log(l_prev) - std::log(1e-6 * L0)) / (std::log(l_prev) - std::log(l));
      t_end = t_prev + s * (t - t_prev);
      return false;
    }, st);
    if (!(t_end > 0)) {
      std::fprintf(stderr, "switching_bench: the loss did not fall by 1e6 before t = 200\n");
      return 1;
    }
    t_end = std::ceil(t_end * 100) / 100;  // a round number just past the crossing
  }
  std::fprintf(stderr, "switching_bench: t_end = %.2f (%.0f s)\n", t_end, bench::now() - t_start);

  // Sample grid: 0, then geometric from 1e-4 to t_end (plain dopri5 stops early; its last
  // sample t_p must be close to where it stopped).
  std::vector<double> grid{0.0};
  const int K = 400;
  for (int k = 0; k <= K; ++k) grid.push_back(1e-4 * std::pow(t_end / 1e-4, double(k) / K));
  grid.back() = t_end;

  // 2. The reference, and its own error estimate.
  const SwitchRun ref = run_switching(p, grid, tol(1e-12));
  std::fprintf(stderr, "switching_bench: reference done (%.0f s)\n", bench::now() - t_start);
  const Vec& th_ref = ref.states.back();
  const double L_ref = p.obj->value(th_ref);

  std::printf("## Accuracy per cost on relu2 gradient flow (issue 5, benchmark 1)\n\n");
  std::printf("Default experiment network: sphere data n=50, d=10, relu2 width m=1000 (10000 parameters), seed 1, "
              "sum loss, L(0) = %.6g. ", L0);
  std::printf("t_end = %.2f: the loss has fallen by 1e6 (L(t_end)/L(0) = %.3g in the reference). ", t_end, L_ref / L0);
  std::printf("Reference: switching integrator at rtol 1e-12, atol 1e-15 (%ld RHS evals, %.1f s, %ld events, "
              "%ld crossings, %ld sliding episodes, %ld sliding exits, at most %ld pairs sliding at once). ",
              ref.out.counters.rhs_evals, ref.out.counters.wall_seconds, ref.st.events, ref.st.crossings,
              ref.st.sliding_episodes, ref.st.sliding_exits, ref.st.sliding_pairs_max);
  std::printf("atol = 1e-3·rtol throughout; one thread. Error = max |θ − θ_ref| at the time reached; "
              "loss err = |L − L_ref| / L_ref there. Forward passes are the switching integrator's extra one-GEMM "
              "Z = X Wᵀ passes (half an RHS each).\n\n");

  // 3. The switching integrator to t_end.
  const std::vector<double> rtols{1e-6, 1e-8, 1e-10};
  std::vector<SwitchRun> sw;
  for (const double rt : rtols) sw.push_back(run_switching(p, grid, tol(rt)));

  // 4. Plain dopri5 at rtol 1e-6 and 1e-8, under a step budget sized to the wall-clock limit.
  const double t_rhs = bench::time_per_call([&] {
    Vec g;
    p.obj->value_gradient(p.inst.theta0, g);
  });
  const std::vector<double> plain_rtols{1e-6, 1e-8};
  std::vector<PlainRun> plain;
  for (const double rt : plain_rtols) {
    const long budget = std::max(1000L, static_cast<long>(plain_seconds / (6.0 * t_rhs)));
    plain.push_back(run_plain(p, grid, tol(rt, budget), 2.0 * plain_seconds));
    std::fprintf(stderr, "switching_bench: plain rtol %.0e done (%.0f s)\n", rt, bench::now() - t_start);
  }

  std::printf("### To t_end = %.2f\n\n", t_end);
  std::printf("| integrator | rtol | status | t reached | RHS evals | forward passes | steps acc/rej | wall [s] | "
              "error | loss err | events | sliding episodes |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (std::size_t k = 0; k < rtols.size(); ++k) {
    const SwitchRun& r = sw[k];
    const Vec& th = r.states.back();
    std::printf("| switching | %.0e | %s | %.2f | %ld | %ld | %ld/%ld | %.3f | %.2e | %.2e | %ld | %ld |\n", rtols[k],
                to_string(r.out.status).c_str(), r.out.t, r.out.counters.rhs_evals, r.st.forward_evals,
                r.out.counters.steps_accepted, r.out.counters.steps_rejected, r.out.counters.wall_seconds,
                max_abs(th, th_ref), std::abs(p.obj->value(th) - L_ref) / L_ref, r.st.events, r.st.sliding_episodes);
  }
  for (std::size_t k = 0; k < plain.size(); ++k) {
    const PlainRun& r = plain[k];
    const std::size_t last = r.states.size() - 1;
    const double lr = p.obj->value(ref.states[last]);
    std::printf("| plain dopri5 | %.0e | %s | %.4g (last sample %.4g) | %ld | — | %ld/%ld | %.1f | %.2e | %.2e | — | — |\n",
                plain_rtols[k], r.hard_stop ? "wall limit" : to_string(r.out.status).c_str(), r.out.t, grid[last],
                r.total_evals, r.out.counters.steps_accepted, r.out.counters.steps_rejected, r.wall,
                max_abs(r.states[last], ref.states[last]), std::abs(p.obj->value(r.states[last]) - lr) / lr);
  }
  std::printf("\nErrors of the plain runs are at their last sample reached, not at t_end.\n\n");

  // 5. Ratios: extrapolated to t_end, and measured on the horizon plain dopri5 reached.
  std::printf("### Evaluation ratios\n\n");
  std::printf("| plain rtol | t_p (plain's last sample) | plain evals to t_p | plain error at t_p | switching, same rtol, "
              "to t_p: evals (+fwd) / error | ratio on [0, t_p] | switching at equal or better accuracy to t_p: rtol / "
              "evals / error | ratio at equal accuracy | plain evals per unit time (late half) | plain evals to t_end "
              "(EXTRAPOLATED) | switching evals to t_end, same rtol | ratio to t_end (EXTRAPOLATED) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (std::size_t k = 0; k < plain.size(); ++k) {
    const PlainRun& r = plain[k];
    const std::size_t last = r.states.size() - 1;
    const double tp = grid[last];
    const double err_p = max_abs(r.states[last], ref.states[last]);
    const std::vector<double> sub(grid.begin(), grid.begin() + static_cast<long>(last) + 1);
    // Same rtol on [0, t_p].
    const SwitchRun same = run_switching(p, sub, tol(plain_rtols[k]));
    const double err_same = max_abs(same.states.back(), ref.states[last]);
    // The loosest tolerance of the sweep that is at least as accurate at t_p.
    SwitchRun eq;
    double eq_rtol = 0, eq_err = 0;
    for (const double rt : {1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11}) {
      SwitchRun s = run_switching(p, sub, tol(rt));
      const double e = max_abs(s.states.back(), ref.states[last]);
      if (e <= err_p) {
        eq = std::move(s);
        eq_rtol = rt;
        eq_err = e;
        break;
      }
    }
    // Eval rate over the late half of the reached horizon (the first sample at or after t_p/2).
    std::size_t half = 0;
    while (half < last && grid[half] < 0.5 * tp) ++half;
    const double rate = double(r.evals[last] - r.evals[half]) / (tp - grid[half]);
    const double extrap = double(r.evals[last]) + rate * (t_end - tp);
    const long sw_end = sw[k].out.counters.rhs_evals;  // rtols[k] == plain_rtols[k]
    std::printf("| %.0e | %.4g | %ld | %.2e | %ld (+%ld) / %.2e | %.0f× | ", plain_rtols[k], tp, r.evals[last], err_p,
                same.out.counters.rhs_evals, same.st.forward_evals, err_same,
                double(r.evals[last]) / double(same.out.counters.rhs_evals));
    if (eq_rtol > 0)
      std::printf("%.0e / %ld / %.2e | %.0f× | ", eq_rtol, eq.out.counters.rhs_evals, eq_err,
                  double(r.evals[last]) / double(eq.out.counters.rhs_evals));
    else
      std::printf("none of the sweep | — | ");
    std::printf("%.3g | %.3g | %ld | %.3g× |\n", rate, extrap, sw_end, extrap / double(sw_end));
  }
  std::printf("\nRatios are RHS evaluations (plain / switching). The switching integrator also spends the forward "
              "passes shown (about half an RHS each), which lowers its ratios by the factor 1 + fwd/(2·evals). "
              "Extrapolated columns assume plain dopri5 keeps its late eval rate to t_end; the rate grows "
              "with the number of sliding pairs, so they are likely underestimates. "
              "One RHS evaluation costs %.1f µs here.\n\n",
              t_rhs * 1e6);
  std::printf("Command: `build-bench/bin/switching_bench %g` (or `bash bench/run.sh switching_bench`); total %.0f s.\n",
              plain_seconds, bench::now() - t_start);
  return 0;
}
