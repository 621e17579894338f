#pragma once
// The one adaptive loop of every dopri5 integration, used by the plain driver and by the
// switching integrators: step budget, step-size underflow, divergence, samples from the
// dense output, and an event policy that may cut an accepted step and restart there.
// (Internal to lib/src/integrate.)
#include <algorithm>
#include <boost/numeric/odeint.hpp>
#include <boost/numeric/odeint/external/eigen/eigen.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "gradflow/core/interrupt.hpp"
#include "gradflow/integrate/integrate.hpp"

namespace gradflow::detail {

namespace odeint = boost::numeric::odeint;
using Dopri5 = odeint::runge_kutta_dopri5<Vec, double, Vec, double, odeint::vector_space_algebra>;

/// The first trial step: 1e-3 of the span (at most the span), scaled with the tolerance.
inline double first_step(const IntegrateOptions& o, double span) {
  if (o.dt0 > 0) return o.dt0;
  return std::min(span, 1e-3 * std::max(span, 1.0)) * std::pow(o.rtol / 1e-6, 0.2);
}

/// The policy of a loop without events.
struct NoEvents {
  void begin(const Dopri5&, const Vec&, const Vec&, double) {}
  /// An accepted, finite step [t_old, t] to x_new (which the policy may adjust): the time of
  /// an event inside it, where the step is cut (nothing: the step stands whole).
  std::optional<double> accepted(double, double, const Vec&, const Vec&, Vec&, const Vec&) { return std::nullopt; }
  /// A sample at t inside the last accepted step, x from its dense output (the policy may correct it).
  void sample(double, Vec&) {}
  /// The longest next step the policy allows.
  double max_dt() const { return std::numeric_limits<double>::infinity(); }
  /// The step was taken whole.
  void advanced() {}
  /// The step was cut at t (x the state there, dxdt to be recomputed): false ends the run
  /// with `outcome` set.
  bool restart(Vec&, Vec&, double, double, Outcome&) { return true; }
};

/// Integrates x from t through the sorted `times`; `sys(x, dxdt, t)` is the field (it counts
/// its own evaluations). The observer's false stops the run with x at that sample.
template <class Sys, class Events>
void dense_loop(Sys& sys, Vec& x, double t, const std::vector<double>& times, const IntegrateOptions& options,
                const SampleObserver& observe, Outcome& outcome, Events& events) {
  auto stepper = odeint::make_controlled(options.atol, options.rtol, Dopri5());
  std::size_t next = 0;
  auto sample = [&](double ts, const Vec& xs) {
    ++next;
    outcome.t = ts;
    return observe(ts, xs);
  };
  auto fail = [&](Status status, double at, const std::string& message) {
    outcome.status = status;
    outcome.t = at;
    outcome.message = message;
  };
  outcome.t = t;
  if (times.empty()) return;
  const double t_final = times.back();
  double dt = first_step(options, t_final - t);
  const Index N = x.size();
  Vec dxdt(N), x_new(N), dxdt_new(N), xs(N);
  sys(x, dxdt, t);
  events.begin(stepper.stepper(), x, dxdt, t);
  while (next < times.size() && times[next] <= t)
    if (!sample(times[next], x)) return;
  while (next < times.size()) {
    if (const int signal = interrupt_signal())  // the rows written so far stand; no partial sample
      return fail(Status::interrupted, t, interrupt_message(signal) + " between samples, at t = " + std::to_string(t));
    const auto& k = outcome.counters;
    if (k.steps_accepted + k.steps_rejected >= options.max_steps)
      return fail(Status::step_budget, t,
                  "step budget of " + std::to_string(options.max_steps) + " steps exhausted at t = " + std::to_string(t) +
                      " (raise run.max_steps, loosen run.rtol, or see the ReLU notes in docs/)");
    if (std::abs(dt) <= 1e-14 * std::max(1.0, std::abs(t)))
      return fail(Status::failed, t, "step size underflow (dt = " + std::to_string(dt) + ") at t = " + std::to_string(t));
    dt = std::min({dt, t_final - t, events.max_dt()});
    const double t_old = t;
    if (stepper.try_step(sys, x, dxdt, t, x_new, dxdt_new, dt) == odeint::fail) {
      ++outcome.counters.steps_rejected;
      continue;
    }
    ++outcome.counters.steps_accepted;
    if (!x_new.allFinite()) return fail(Status::diverged, t, "state is not finite at t = " + std::to_string(t));
    const std::optional<double> event = events.accepted(t_old, t, x, dxdt, x_new, dxdt_new);
    const double t_cut = event ? *event : t;
    // Samples inside the (possibly cut) step come from its dense output.
    while (next < times.size() && times[next] <= t_cut) {
      const double ts = times[next];
      if (ts == t) xs = x_new;
      else if (ts == t_old) xs = x;
      else stepper.stepper().calc_state(ts, xs, x, dxdt, t_old, x_new, dxdt_new, t);
      if (ts != t_old) events.sample(ts, xs);
      if (!sample(ts, xs)) {
        x = xs;
        return;
      }
    }
    if (!event) {
      x.swap(x_new);
      dxdt.swap(dxdt_new);
      events.advanced();
      continue;
    }
    // Cut the step there and restart with what the events changed.
    if (t_cut < t) stepper.stepper().calc_state(t_cut, xs, x, dxdt, t_old, x_new, dxdt_new, t);
    else xs = x_new;
    x.swap(xs);
    t = t_cut;
    if (!events.restart(x, dxdt, t, t_old, outcome)) return;
  }
}

}  // namespace gradflow::detail
