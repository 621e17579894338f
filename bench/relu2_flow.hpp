#pragma once
// relu2 gradient flow runs shared by auto_bench and scale_bench: the problem (sphere data,
// seed 2024, NTK scaling, sum loss) and one gradflow run under "auto", "exact" or "off".
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "gradflow/gradflow.hpp"
#include "gradflow/integrate/switching.hpp"
#include "peers.hpp"

namespace bench {

using namespace gradflow;

struct Net {
  Dataset data;
  ModelInstance inst;
  std::unique_ptr<Objective> obj;
  const TwoLayer& model() const { return dynamic_cast<const TwoLayer&>(*inst.model); }
};

inline Net make_problem(Index n, Index d, Index m) {
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

/// The files the SciPy peer (bench/python/flow_peer.py) reads: X, y, θ0 and the fixed a.
inline void write_problem(const Net& p, const ScratchDir& dir) {
  write_bin(dir.file("X.bin"), p.data.X);
  write_bin(dir.file("y.bin"), p.data.Y);
  write_bin(dir.file("theta0.bin"), p.inst.theta0);
  write_bin(dir.file("a.bin"), p.model().outer(p.inst.theta0));
}

struct Point {
  std::string integrator;
  double rtol = 0, t = 0, wall = 0, error = std::nan("");
  long evals = 0, crossings = 0, sliding_episodes = 0;
  std::string status, note;
};

/// One gradflow run to t_end ("auto", "exact" or "off") with `samples` equally spaced samples,
/// stopped at the first sample past the wall limit. With one sample only the final state is
/// written, as the SciPy peer keeps it (t_eval = [T]).
inline Point run_gradflow(const Net& p, const std::string& scheme, double rtol, double t_end, double wall_limit,
                          Vec& theta, int samples = 100) {
  IntegrateOptions o;
  o.rtol = rtol;
  o.atol = 1e-2 * rtol;
  o.max_steps = 100'000'000;
  std::vector<double> times;
  for (int k = 1; k <= samples; ++k) times.push_back(t_end * k / samples);
  theta = p.inst.theta0;
  const double t0 = now();
  auto keep = [&](double, const Vec&) { return now() - t0 < wall_limit; };
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
  pt.wall = now() - t0;
  pt.evals = out.counters.rhs_evals;
  pt.status = out.t >= t_end ? "completed" : "wall_limit";
  if (scheme != "off") {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%ld steps, %ld events, %ld crossings + %ld onsets + %ld exits stepped over, %ld kink cuts, "
                  "%ld sliding episodes, %ld + %ld passes",
                  out.counters.steps_accepted, st.events, st.stepped_crossings, st.stepped_onsets, st.stepped_exits,
                  st.kink_cuts, st.sliding_episodes, st.forward_evals, st.backward_evals);
    pt.note = buf;
    pt.crossings = st.crossings;
    pt.sliding_episodes = st.sliding_episodes;
    if (st.large_jumps > 0) pt.note += ", " + std::to_string(st.large_jumps) + " large jumps";
  }
  return pt;
}


}  // namespace bench
