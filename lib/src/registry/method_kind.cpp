#include "gradflow/registry/method_kind.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "gradflow/core/error.hpp"
#include "gradflow/experiment/expression.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/flow/error_dynamics.hpp"
#include "gradflow/flow/gradient_flow.hpp"
#include "gradflow/integrate/switching.hpp"
#include "gradflow/model/piecewise_linear.hpp"
#include "gradflow/model/switching_surfaces.hpp"

namespace gradflow {

std::string to_string(Space space) {
  switch (space) {
    case Space::weights: return "weights";
    case Space::discrete: return "discrete";
    case Space::error: return "error";
    case Space::exact: return "exact";
  }
  return "";
}

const MethodKind& MethodSpec::descriptor() const { return method_kinds().get(kind, "methods." + name + ".kind"); }

double nesterov_start_time(const MethodSpec& spec, const std::vector<double>& times) {
  const double t0 = spec.params.has("t0") ? spec.params.number("t0") : 0.0;
  if (t0 > 0) return t0;
  // One sample time (a horizon shorter than every step) has no first interval.
  return times.size() > 1 ? std::min(1e-3, 0.1 * times[1]) : 1e-3;
}

void check_discrete_horizon(const MethodSpec& spec, double horizon, const std::string& horizon_key) {
  const MethodKind& kind = spec.descriptor();
  if (!kind.discrete() || !kind.time_unit) return;
  const double dt = kind.time_unit(spec.eta()), steps = horizon / dt;
  char buf[320];
  if (!(steps >= 1.0 - 1e-9)) {
    // Zero iterations would report `completed` with the start as its only row.
    std::snprintf(buf, sizeof buf, ": one step of %s covers t = %g, longer than %s = %g (lower eta or raise %s)",
                  spec.kind.c_str(), dt, horizon_key.c_str(), horizon, horizon_key.c_str());
    throw input_error("methods." + spec.name + ".eta" + buf);
  }
  const long budget = spec.integrate.max_steps;
  if (steps > static_cast<double>(budget) + 0.5) {
    // Refused up front: an iteration has no tolerance to give up on, it would only spend the budget.
    std::snprintf(buf, sizeof buf, ": %s = %g needs %.4g iterations at t = k*%g, more than run.max_steps = %ld",
                  horizon_key.c_str(), horizon, steps, dt, budget);
    throw input_error("methods." + spec.name + ".eta" + buf);
  }
}

MethodContext::MethodContext(const Problem& problem, const MethodSpec& spec, std::vector<double> times, Observer observer)
    : problem_(problem), spec_(spec), kind_(spec.descriptor()), times_(std::move(times)), observer_(std::move(observer)) {
  energy.lambda0 = problem.c() * problem.lambda0();
  energy.quadratic_loss = problem.objective().loss().quadratic();
  // The switching integrator's pattern-fixed field and kink correction are those of the
  // squared loss (the residual enters linearly); refused here, before any method runs.
  if (kind_.space == Space::weights && spec_.switching != "off" && !energy.quadratic_loss &&
      problem.model().piecewise_linear())
    throw input_error(key("switching") + ": the switching-surface integrator of ReLU flows assumes the squared loss, "
                      "but loss.kind = " + problem.objective().loss().describe() + "; set run.switching = \"off\"");
  if (!times_.empty()) check_discrete_horizon(spec_, times_.back(), "run.t_end");
}

std::string MethodContext::key(const std::string& name) const { return "methods." + spec_.name + "." + name; }

double MethodContext::value(const std::string& name) const {
  auto vars = problem_.variables();
  vars["gamma"] = spec_.params.has("gamma") ? spec_.params.number("gamma") : 3.0;
  vars["eta"] = spec_.eta();
  const std::string& text = spec_.params.text(name);
  // Blame a bad λ0 on H, not on the expression that happens to take its square root.
  // Singular up to rounding: λ0 a few ulps of H's scale (duplicate rows give ±1e-17, not 0).
  const auto& H = problem_.H_inf() ? problem_.H_inf() : problem_.H0();
  const double scale = H ? H->diagonal().cwiseAbs().mean() : 0.0;
  if (uses_variable(text, "lambda0") && !(problem_.lambda0() > 1e-12 * scale && std::isfinite(problem_.lambda0()))) {
    const std::string H = problem_.lambda0_source();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", problem_.lambda0());
    throw input_error(key(name) + ": \"" + text + "\" uses lambda0, but lambda0 = lambda_min(" + H + ") = " + buf +
                      (std::isnan(problem_.lambda0())
                           ? ": H(theta0) is not formed (n*k exceeds run.lambda_min_max_n) or not finite"
                           : ": " + H + " is singular (duplicate data rows, or d = 1?)") +
                      "; give a number instead");
  }
  return evaluate_expression(text, vars, key(name));
}

namespace {

/// Switching-surface integration locates its events on dopri5's dense output.
void require_dense_output(const MethodContext& ctx) {
  if (ctx.spec().integrate.stepper != "dopri5")
    throw input_error(ctx.key("stepper") + ": switching-surface integration of ReLU flows uses dopri5; set "
                      "run.switching = \"off\" to use " + ctx.spec().integrate.stepper);
}

/// The piecewise-linear model whose flows cross their switching surfaces event by event, or null.
const PiecewiseLinear* switching_model(const MethodContext& ctx) {
  const PiecewiseLinear* net = ctx.problem().model().as_piecewise_linear();  // docs/switching.md
  if (!net || ctx.spec().switching == "off") return nullptr;
  require_dense_output(ctx);
  return net;
}

/// The curved-surface view of a ReLU model without the flat one, or null.
const SwitchingSurfaces* curved_model(const MethodContext& ctx) {
  const Model& model = ctx.problem().model();
  if (model.as_piecewise_linear() || !model.as_switching_surfaces() || ctx.spec().switching == "off") return nullptr;
  require_dense_output(ctx);
  return model.as_switching_surfaces();
}

/// The switching integrator's options for the method's scheme (auto or exact).
SwitchingOptions switching_options(const MethodContext& ctx) {
  SwitchingOptions o;
  o.step_over = ctx.spec().switching != "exact";
  return o;
}

void record(std::map<std::string, double>& m, const SwitchingStats& st) {
  m["switches"] = static_cast<double>(st.switches);
  m["crossings"] = static_cast<double>(st.crossings);
  m["sliding_episodes"] = static_cast<double>(st.sliding_episodes);
  m["sliding_exits"] = static_cast<double>(st.sliding_exits);
  m["sliding_pairs_max"] = static_cast<double>(st.sliding_pairs_max);
  m["events"] = static_cast<double>(st.events);
  m["reversals"] = static_cast<double>(st.reversals);
  m["forward_evals"] = static_cast<double>(st.forward_evals);
  m["backward_evals"] = static_cast<double>(st.backward_evals);
  m["stepped_crossings"] = static_cast<double>(st.stepped_crossings);
  m["stepped_onsets"] = static_cast<double>(st.stepped_onsets);
  m["stepped_exits"] = static_cast<double>(st.stepped_exits);
  m["kink_cuts"] = static_cast<double>(st.kink_cuts);
  m["large_jumps"] = static_cast<double>(st.large_jumps);
}

/// Sample iterations k whose times k·dt come closest to the sample times.
std::vector<long> sample_iterations(const std::vector<double>& times, double dt) {
  std::vector<long> ks;
  for (const double t : times) {
    const long k = std::lround(t / dt);
    if (ks.empty() || k > ks.back()) ks.push_back(k);
  }
  return ks;
}

/// Drops the sample times not after t0.
std::vector<double> after(std::vector<double> times, double t0) {
  times.erase(times.begin(), std::upper_bound(times.begin(), times.end(), t0));
  return times;
}

}  // namespace

void MethodContext::flow_on_weights(const System& plain, bool switchable) {
  Vec x = problem_.theta0();
  auto view = [&](double t, const Vec& s) { return observe({.t = t, .theta = &s}); };
  SwitchingStats st;
  if (const PiecewiseLinear* relu = switchable ? switching_model(*this) : nullptr) {
    outcome = integrate_switching(problem_.objective(), *relu, x, 0.0, times_, spec_.integrate, view, st,
                                  switching_options(*this));
    record(switching, st);
  } else if (const SwitchingSurfaces* curved = switchable ? curved_model(*this) : nullptr) {
    outcome = integrate_curved_gradient_flow(problem_.objective(), *curved, x, 0.0, times_, spec_.integrate, view, st,
                                             switching_options(*this));
    record(switching, st);
  } else {
    outcome = integrate(plain, x, 0.0, times_, spec_.integrate, view);
  }
}

void MethodContext::second_order_on_weights(const Damping& damping, double singular_gamma, double t0) {
  const Index P = problem_.theta0().size();
  Vec theta, v;
  auto view = [&](double t, const Vec& s) {
    theta = s.head(P);
    v = s.tail(P);
    return observe({.t = t, .theta = &theta, .velocity = &v});
  };
  Vec x = at_rest(problem_.theta0());
  double start = 0.0;
  std::vector<double> times = times_;
  if (singular_gamma > 0) {
    // γ/t is singular at 0: observe the start, then integrate from the series state at t0.
    if (!view(0.0, x)) return;
    start = t0;
    x = nesterov_series_start(problem_.objective(), problem_.theta0(), singular_gamma, t0);
    times = after(std::move(times), t0);
  }
  SwitchingStats st;
  if (const PiecewiseLinear* relu = switching_model(*this)) {
    outcome = integrate_switching_second_order(problem_.objective(), *relu, damping, x, start, times, spec_.integrate,
                                               view, st, switching_options(*this));
    record(switching, st);
  } else if (const SwitchingSurfaces* curved = curved_model(*this)) {
    outcome = integrate_curved_second_order(problem_.objective(), *curved, damping, x, start, times, spec_.integrate,
                                            view, st, switching_options(*this));
    record(switching, st);
  } else {
    outcome = integrate(momentum_flow(problem_.objective(), damping), x, start, times, spec_.integrate, view);
  }
}

void MethodContext::iterate_on_weights(const Step& step, double dt, bool momentum) {
  const Index P = problem_.theta0().size();
  Vec state = momentum ? momentum_state(problem_.theta0()) : problem_.theta0();
  Vec theta, v;
  outcome = iterate(step, state, sample_iterations(times_, dt), [&](long k, const Vec& s) {
    const double t = static_cast<double>(k) * dt;
    if (!momentum) return observe({.t = t, .theta = &s});
    theta = s.head(P);
    v = (s.head(P) - s.segment(P, P)) / dt;
    return observe({.t = t, .theta = &theta, .velocity = &v});
  });
  outcome.t *= dt;
}

void MethodContext::flow_on_augmented_weights(const System& system, const Vec& x0) {
  const Index P = problem_.theta0().size();
  Vec x = x0, theta;
  outcome = integrate(system, x, 0.0, times_, spec_.integrate, [&](double t, const Vec& s) {
    theta = s.head(P);
    return observe({.t = t, .theta = &theta});
  });
}

void MethodContext::iterate_on_augmented_weights(const Step& step, const Vec& x0, double dt) {
  const Index P = problem_.theta0().size();
  Vec state = x0, theta;
  outcome = iterate(step, state, sample_iterations(times_, dt), [&](long k, const Vec& s) {
    theta = s.head(P);
    return observe({.t = static_cast<double>(k) * dt, .theta = &theta});
  });
  outcome.t *= dt;
}

void MethodContext::error_flow(const std::string& kernel, const Damping& damping, double singular_gamma, double t0) {
  const Index n = problem_.delta0().size(), P = problem_.theta0().size();
  const bool second = kind_.order == 2;
  Vec delta, delta_dot, theta, v;
  std::vector<double> times = times_;
  double start = 0.0;
  Vec x;
  System system;
  std::function<bool(double, const Vec&)> view;
  Mat K;
  if (kernel == "coupled") {
    // [θ; (v;) Δ; (Δ̇)]: the weights follow their own flow, Δ the error ODE with K = cH(θ(t)).
    const Index w = second ? 2 * P : P;
    x.resize(w + (second ? 2 * n : n));
    x.setZero();
    x.head(P) = problem_.theta0();
    x.segment(w, n) = problem_.delta0();
    system = coupled_error_flow(problem_.objective(), damping);
    view = [&, w](double t, const Vec& s) {
      theta = s.head(P);
      delta = s.segment(w, n);
      if (second) {
        v = s.segment(P, P);
        delta_dot = s.segment(w + n, n);
      }
      // θ is given only so that K = cH(θ) can be formed; Δ comes from the error ODE.
      return observe({.t = t, .theta = &theta, .velocity = second ? &v : nullptr, .delta = &delta,
                      .delta_dot = second ? &delta_dot : nullptr});
    };
  } else {
    K = problem_.kernel_matrix(kernel, key("kernel"));
    x = second ? Vec(Vec::Zero(2 * n)) : problem_.delta0();
    if (second) x.head(n) = problem_.delta0();
    system = gradflow::error_flow(K, problem_.objective(), damping);
    view = [&](double t, const Vec& s) {
      delta = s.head(n);
      if (second) delta_dot = s.tail(n);
      return observe({.t = t, .delta = &delta, .delta_dot = second ? &delta_dot : nullptr, .kernel = &K});
    };
  }
  if (singular_gamma > 0) {
    // Δ̇(0) = 0 and Δ̈(0) = −KΔ0/(1+γ): start from the series at t0 as for the weights.
    if (!view(0.0, x)) return;
    start = t0;
    Vec dx;
    system(x, dx, 1.0);  // at t = 1 and rest, the acceleration part of dx is −KΔ0 = −H∇_f ℓ(Δ0) (and −∇L)
    const double g = singular_gamma, half_t2 = start * start / (2 * (1 + g)), t1 = start / (1 + g);
    if (kernel == "coupled") {
      const Index w = 2 * P;
      x.head(P) += half_t2 * dx.segment(P, P);
      x.segment(P, P) = t1 * dx.segment(P, P);
      x.segment(w, n) += half_t2 * dx.segment(w + n, n);
      x.segment(w + n, n) = t1 * dx.segment(w + n, n);
    } else {
      const Index h = x.size() / 2;
      x.head(h) += half_t2 * dx.tail(h);
      x.tail(h) = t1 * dx.tail(h);
    }
    times = after(std::move(times), start);
  }
  outcome = integrate(system, x, start, times, spec_.integrate, view);
}

void MethodContext::closed_form(const std::string& kernel, const std::function<ClosedForm(const Mat& K)>& solve) {
  const auto begin = std::chrono::steady_clock::now();
  const Mat K = problem_.kernel_matrix(kernel, key("kernel"));
  const ClosedForm at = solve(K);
  for (const double t : times_) {
    const auto [delta, delta_dot] = at(t);
    outcome.t = t;
    if (!observe({.t = t, .delta = &delta, .delta_dot = &delta_dot, .kernel = &K})) break;
  }
  outcome.counters.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

}  // namespace gradflow
