#include "gradflow/integrate/integrate.hpp"

#include <algorithm>
#include <chrono>

#include "dense_loop.hpp"
#include <cmath>

#include "gradflow/core/error.hpp"

namespace gradflow {

namespace odeint = boost::numeric::odeint;

const std::vector<std::string>& stepper_names() {
  static const std::vector<std::string> names{"dopri5", "cash_karp54", "fehlberg78", "bulirsch_stoer"};
  return names;
}

void IntegrateOptions::validate() const {
  const auto& names = stepper_names();
  if (std::find(names.begin(), names.end(), stepper) == names.end())
    throw input_error("run.stepper: unknown stepper '" + stepper +
                      "' (expected dopri5, cash_karp54, fehlberg78 or bulirsch_stoer)");
  if (!(rtol > 0) || !(rtol < 1)) throw input_error("run.rtol: must lie in (0, 1)");
  if (!(atol > 0) || !std::isfinite(atol)) throw input_error("run.atol: must be positive");
  if (max_steps < 1) throw input_error("run.max_steps: must be at least 1");
  if (!(dt0 >= 0)) throw input_error("run.dt0: must be non-negative");
}

namespace {

using Clock = std::chrono::steady_clock;

/// Shared bookkeeping of both loops.
struct Loop {
  const std::vector<double>& times;
  const IntegrateOptions& options;
  const SampleObserver& observe;
  Outcome outcome;
  std::size_t next = 0;

  long steps() const { return outcome.counters.steps_accepted + outcome.counters.steps_rejected; }
  bool out_of_budget(double t) {
    if (steps() < options.max_steps) return false;
    outcome.status = Status::step_budget;
    outcome.t = t;
    outcome.message = "step budget of " + std::to_string(options.max_steps) +
                      " steps exhausted at t = " + std::to_string(t) +
                      " (raise run.max_steps, loosen run.rtol, or see the ReLU notes in docs/)";
    return true;
  }
  bool diverged(double t, const Vec& x) {
    if (x.allFinite()) return false;
    outcome.status = Status::diverged;
    outcome.t = t;
    outcome.message = "state is not finite at t = " + std::to_string(t);
    return true;
  }
  bool underflow(double t, double dt) {
    if (std::abs(dt) > 1e-14 * std::max(1.0, std::abs(t))) return false;
    outcome.status = Status::failed;
    outcome.t = t;
    outcome.message = "step size underflow (dt = " + std::to_string(dt) + ") at t = " + std::to_string(t);
    return true;
  }
  /// Observes one sample; false when the observer stopped the run.
  bool sample(double t, const Vec& x) {
    ++next;
    outcome.t = t;
    return observe(t, x);
  }
};

/// Steppers without dense output step exactly onto each sample time.
template <class Controlled, class Sys>
void exact_loop(Controlled stepper, Sys& sys, Vec& x, double t, Loop& loop) {
  const double t_final = loop.times.back();
  double dt = detail::first_step(loop.options, t_final - t);
  while (loop.next < loop.times.size() && loop.times[loop.next] <= t)
    if (!loop.sample(loop.times[loop.next], x)) return;
  while (loop.next < loop.times.size()) {
    if (loop.out_of_budget(t) || loop.underflow(t, dt)) return;
    const double target = loop.times[loop.next];
    const bool clipped = t + dt >= target;
    const double natural = dt;
    if (clipped) dt = target - t;
    if (stepper.try_step(sys, x, t, dt) == odeint::fail) {
      ++loop.outcome.counters.steps_rejected;
      continue;
    }
    ++loop.outcome.counters.steps_accepted;
    if (loop.diverged(t, x)) return;
    if (clipped) {
      t = target;  // no drift from repeated additions
      dt = std::max(dt, natural);
      if (!loop.sample(target, x)) return;
    }
  }
}

}  // namespace

Outcome integrate(const System& system, Vec& x, double t0, const std::vector<double>& times,
                  const IntegrateOptions& options, const SampleObserver& observe) {
  options.validate();
  Loop loop{times, options, observe, {}, 0};
  loop.outcome.t = t0;
  const auto start = Clock::now();
  long& evals = loop.outcome.counters.rhs_evals;
  auto counted = [&](const Vec& s, Vec& ds, double t) {
    ++evals;
    system(s, ds, t);
  };
  if (!times.empty()) {
    if (options.stepper == "dopri5") {
      detail::NoEvents none;
      detail::dense_loop(counted, x, t0, times, options, observe, loop.outcome, none);
    } else if (options.stepper == "cash_karp54") {
      using S = odeint::runge_kutta_cash_karp54<Vec, double, Vec, double, odeint::vector_space_algebra>;
      exact_loop(odeint::make_controlled(options.atol, options.rtol, S()), counted, x, t0, loop);
    } else if (options.stepper == "fehlberg78") {
      using S = odeint::runge_kutta_fehlberg78<Vec, double, Vec, double, odeint::vector_space_algebra>;
      exact_loop(odeint::make_controlled(options.atol, options.rtol, S()), counted, x, t0, loop);
    } else {
      using S = odeint::bulirsch_stoer<Vec, double, Vec, double, odeint::vector_space_algebra>;
      exact_loop(S(options.atol, options.rtol), counted, x, t0, loop);
    }
  }
  loop.outcome.counters.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return loop.outcome;
}

}  // namespace gradflow
