// Adaptive optimisers (AdaGrad, AdaDelta, RMSProp, Adam) and the flows they discretise, on
// the joint state [θ; accumulators] (docs/theory.md, "Adaptive optimisers"). Each flow kind
// takes its discrete method's keys and turns them into the flow's rates for that η, so that
// `compare` (which copies the shared keys into the twin and sets its eta) gets the right twin.
#include "gradflow/discrete/adaptive.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "gradflow/core/error.hpp"
#include "gradflow/experiment/problem.hpp"
#include "families.hpp"

namespace gradflow {

Vec adaptive_state(const Vec& theta0, int blocks) {
  Vec s = Vec::Zero((blocks + 1) * theta0.size());
  s.head(theta0.size()) = theta0;
  return s;
}

Step adagrad(const Objective& objective, double eta, double eps) {
  return [&objective, eta, eps, theta = Vec(), g = Vec()](long, Vec& s) mutable {
    const Index P = s.size() / 2;
    theta = s.head(P);
    objective.value_gradient(theta, g);
    auto G = s.segment(P, P);
    G += g.cwiseAbs2();
    s.head(P) -= eta * (g.array() / (G.array() + eps).sqrt()).matrix();
  };
}

Step rmsprop(const Objective& objective, double eta, double rho, double eps) {
  return [&objective, eta, rho, eps, theta = Vec(), g = Vec()](long, Vec& s) mutable {
    const Index P = s.size() / 2;
    theta = s.head(P);
    objective.value_gradient(theta, g);
    auto v = s.segment(P, P);
    v = rho * v + (1 - rho) * g.cwiseAbs2();
    s.head(P) -= eta * (g.array() / (v.array() + eps).sqrt()).matrix();
  };
}

Step adadelta(const Objective& objective, double eta, double rho, double eps) {
  return [&objective, eta, rho, eps, theta = Vec(), g = Vec(), d = Vec()](long, Vec& s) mutable {
    const Index P = s.size() / 3;
    theta = s.head(P);
    objective.value_gradient(theta, g);
    auto v = s.segment(P, P);
    auto u = s.segment(2 * P, P);
    v = rho * v + (1 - rho) * g.cwiseAbs2();
    // The new v but the old u: Zeiler's RMS[Δx]_{t−1}/RMS[g]_t.
    d = ((u.array() + eps).sqrt() / (v.array() + eps).sqrt() * g.array()).matrix();
    u = rho * u + (1 - rho) * d.cwiseAbs2();
    s.head(P) -= eta * d;
  };
}

Step adam(const Objective& objective, double eta, double beta1, double beta2, double eps, bool bias_correction) {
  return [&objective, eta, beta1, beta2, eps, bias_correction, theta = Vec(), g = Vec()](long k, Vec& s) mutable {
    const Index P = s.size() / 3;
    theta = s.head(P);
    objective.value_gradient(theta, g);
    auto m = s.segment(P, P);
    auto v = s.segment(2 * P, P);
    m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g.cwiseAbs2();
    // 1 − β^{k+1} by expm1/log1p: accurate when β is close to 1 and k small.
    const double n = static_cast<double>(k + 1);
    const double c1 = bias_correction ? -std::expm1(n * std::log(beta1)) : 1.0;
    const double c2 = bias_correction ? -std::expm1(n * std::log(beta2)) : 1.0;
    s.head(P) -= eta * ((m.array() / c1) / ((v.array() / c2).sqrt() + eps)).matrix();
  };
}

System adagrad_flow(const Objective& objective, double eps) {
  return [&objective, eps, theta = Vec(), g = Vec()](const Vec& x, Vec& dx, double) mutable {
    const Index P = x.size() / 2;
    theta = x.head(P);
    objective.value_gradient(theta, g);
    dx.resize(x.size());
    // G is clamped at 0: the stepper's trial stages may undershoot it (negative weights).
    dx.head(P) = -(g.array() / (x.segment(P, P).array().max(0.0) + eps).sqrt()).matrix();
    dx.segment(P, P) = g.cwiseAbs2();
  };
}

System rmsprop_flow(const Objective& objective, double b, double eps) {
  return [&objective, b, eps, theta = Vec(), g = Vec()](const Vec& x, Vec& dx, double) mutable {
    const Index P = x.size() / 2;
    theta = x.head(P);
    objective.value_gradient(theta, g);
    dx.resize(x.size());
    // v is clamped at 0: the stepper's trial stages may undershoot it by rounding.
    dx.head(P) = -(g.array() / (x.segment(P, P).array().max(0.0) + eps).sqrt()).matrix();
    dx.segment(P, P) = b * (g.cwiseAbs2() - x.segment(P, P));
  };
}

System adadelta_flow(const Objective& objective, double b, double eps) {
  return [&objective, b, eps, theta = Vec(), g = Vec(), d = Vec()](const Vec& x, Vec& dx, double) mutable {
    const Index P = x.size() / 3;
    theta = x.head(P);
    objective.value_gradient(theta, g);
    const auto v = x.segment(P, P).array().max(0.0), u = x.segment(2 * P, P).array().max(0.0);
    d = ((u + eps).sqrt() / (v + eps).sqrt() * g.array()).matrix();
    dx.resize(x.size());
    dx.head(P) = -d;
    dx.segment(P, P) = b * (g.cwiseAbs2() - x.segment(P, P));
    dx.segment(2 * P, P) = b * (d.cwiseAbs2() - x.segment(2 * P, P));
  };
}

System adam_flow(const Objective& objective, double a, double b, double eps, bool bias_correction) {
  return [&objective, a, b, eps, bias_correction, theta = Vec(), g = Vec()](const Vec& x, Vec& dx, double t) mutable {
    const Index P = x.size() / 3;
    theta = x.head(P);
    objective.value_gradient(theta, g);
    const auto m = x.segment(P, P).array(), v = x.segment(2 * P, P).array();
    dx.resize(x.size());
    if (bias_correction && !(t > 0)) {
      // m/(1 − e^{−at}) and v/(1 − e^{−bt}) are weighted means of g and g² over [0, t]: at
      // t = 0 (where m = v = 0) they are g and g².
      dx.head(P) = -(g.array() / (g.array().abs() + eps)).matrix();
    } else {
      const double c1 = bias_correction ? -std::expm1(-a * t) : 1.0, c2 = bias_correction ? -std::expm1(-b * t) : 1.0;
      dx.head(P) = -((m / c1) / ((v.max(0.0) / c2).sqrt() + eps)).matrix();
    }
    dx.segment(P, P) = a * (g - x.segment(P, P));
    dx.segment(2 * P, P) = b * (g.cwiseAbs2() - x.segment(2 * P, P));
  };
}

namespace {

// Names carry the file's prefix: the library compiles in unity batches.

/// The AdaGrad flow from G = 0 moves like −2√t·sign(g) at first, and near t = 0 like −g/√ε: no
/// stepper resolves that for a small ε (steps of ε/g² underflow). With g frozen at g0 it is
/// solved exactly, θ(t0) = θ0 − 2g0 t0/(√(g0² t0 + ε) + √ε) and G(t0) = g0² t0, which is θ(t0)
/// to O(t0) (g moves by O(√t0)). So θ0 is observed at the sample times up to t0 (t = 0) and the flow starts at that state
/// at t0 = min(1e-8, 1e-6 × the first sample interval), far below any discretisation gap.
void adagrad_flow_run(MethodContext& c, double eps) {
  const std::vector<double>& times = c.times();
  if (times.empty()) return;
  const Vec& theta0 = c.problem().theta0();
  const Index P = theta0.size();
  Vec theta = theta0;
  const double t0 = times.size() > 1 ? std::min(1e-8, 1e-6 * (times[1] - times[0])) : 1e-8;
  for (const double t : times)
    if (t <= t0 && !c.observe({.t = t, .theta = &theta})) return;
  Vec g, x = adaptive_state(theta0, 1);
  c.problem().objective().value_gradient(theta0, g);
  x.head(P).array() -= 2 * t0 * g.array() / ((g.array().square() * t0 + eps).sqrt() + std::sqrt(eps));
  x.segment(P, P) = t0 * g.cwiseAbs2();
  std::vector<double> later;
  for (const double t : times)
    if (t > t0) later.push_back(t);
  c.outcome = integrate(adagrad_flow(c.problem().objective(), eps), x, t0, later, c.spec().integrate,
                        [&](double t, const Vec& s) {
                          theta = s.head(P);
                          return c.observe({.t = t, .theta = &theta});
                        });
}

/// −ln(β)/η: the rate whose exact decay over one step, e^{−rate·η}, is β.
double adaptive_rate(double beta, double eta) { return -std::log(beta) / eta; }

double adaptive_step_time(double eta) { return eta; }
/// AdaGrad's sum of squares grows like k: its flow runs on t = kη² (docs/theory.md).
double adagrad_step_time(double eta) { return eta * eta; }

KeySpec adaptive_number(const std::string& name, double fallback, const std::string& doc) {
  return {name, KeyType::number, fallback, doc};
}

const KeySpec& adaptive_bias_key() {
  static const KeySpec key{"bias_correction", KeyType::boolean, true,
                           "divide m and v by 1 - beta^k (flow: 1 - e^(-rate t))"};
  return key;
}

void adaptive_require(bool ok, const std::string& prefix, const std::string& key, const std::string& what) {
  if (!ok) throw input_error(prefix + key + ": " + what);
}

void adaptive_check_eta_eps(const Params& p, const std::string& prefix) {
  const double eta = p.number("eta"), eps = p.number("eps");
  adaptive_require(eta > 0 && std::isfinite(eta), prefix, "eta", "must be positive");
  adaptive_require(eps > 0 && std::isfinite(eps), prefix, "eps",
                   "must be positive (it keeps the step finite where the gradient and its accumulator vanish)");
}

/// A decay rate: [0, 1) for the iteration; (0, 1) for a flow, whose rate is −ln(β)/η.
void adaptive_check_decay(const Params& p, const std::string& prefix, const std::string& key, bool flow) {
  const double beta = p.number(key);
  if (flow)
    adaptive_require(beta > 0 && beta < 1, prefix, key, "must be in (0, 1) for a flow: its rate is -ln(" + key + ")/eta");
  else
    adaptive_require(beta >= 0 && beta < 1, prefix, key, "must be in [0, 1)");
}

/// What a kind's discrete method and flow share: the names, keys and checks.
struct AdaptiveFamily {
  std::string name;
  std::vector<KeySpec> keys;
  std::vector<std::string> decays;  ///< the keys that are decay rates (rho, beta1, beta2)
};

std::function<void(const Params&, const std::string&)> adaptive_validate(const AdaptiveFamily& f, bool flow) {
  return [decays = f.decays, flow](const Params& p, const std::string& prefix) {
    adaptive_check_eta_eps(p, prefix);
    for (const auto& key : decays) adaptive_check_decay(p, prefix, key, flow);
  };
}

/// The two kinds of one optimiser: the iteration `name` (its twin `name`_flow) and the flow.
MethodKind adaptive_discrete(const AdaptiveFamily& f, const std::string& summary,
                             std::function<double(double)> time_unit,
                             std::function<MethodRun(MethodContext&)> prepare) {
  return {
      .name = f.name,
      .summary = summary,
      .space = Space::discrete,
      .twins = {f.name + "_flow"},
      .time_unit = std::move(time_unit),
      .keys = f.keys,
      .default_name = [name = f.name](const Params& p) { return with_eta(name, p); },
      .validate = adaptive_validate(f, false),
      .prepare = std::move(prepare),
  };
}

MethodKind adaptive_flow(const AdaptiveFamily& f, const std::string& summary,
                         std::function<MethodRun(MethodContext&)> prepare) {
  return {
      .name = f.name + "_flow",
      .summary = summary,
      .space = Space::weights,
      .keys = f.keys,
      .default_name = [name = f.name + "_flow"](const Params& p) { return with_eta(name, p); },
      .validate = adaptive_validate(f, true),
      .prepare = std::move(prepare),
  };
}

/// The adaptive methods' fields are not −∇L: no Du et al. bound beside them.
void adaptive_energy(MethodContext& ctx) { ctx.energy.dynamics = EnergyOptions::Dynamics::other; }

// --- AdaGrad ---------------------------------------------------------------------------
const AdaptiveFamily adagrad_family{
    "adagrad",
    {adaptive_number("eta", 0.01, "step size eta; the flow runs on t = k eta^2"),
     adaptive_number("eps", 1e-10, "eps under the root, sqrt(G + eps) (flow: sqrt(G + eta^2 eps))")},
    {}};

const Registration<MethodKind> adagrad_kind{adaptive_discrete(
    adagrad_family, "AdaGrad G <- G + g^2, theta <- theta - eta g/sqrt(G + eps), t = k eta^2", adagrad_step_time,
    [](MethodContext& ctx) -> MethodRun {
      adaptive_energy(ctx);
      const double eta = ctx.spec().eta(), eps = ctx.spec().params.number("eps");
      return [eta, eps](MethodContext& c) {
        c.iterate_on_augmented_weights(adagrad(c.problem().objective(), eta, eps), adaptive_state(c.problem().theta0(), 1),
                                       adagrad_step_time(eta));
      };
    })};

const Registration<MethodKind> adagrad_flow_kind{adaptive_flow(
    adagrad_family, "AdaGrad flow theta' = -g/sqrt(G + eta^2 eps), G' = g^2: adagrad's flow on t = k eta^2",
    [](MethodContext& ctx) -> MethodRun {
      adaptive_energy(ctx);
      const double eta = ctx.spec().eta();
      // G of the flow is η²·(the iteration's G): so is its ε.
      const double eps = eta * eta * ctx.spec().params.number("eps");
      ctx.resolved["eps_flow"] = eps;
      return [eps](MethodContext& c) { adagrad_flow_run(c, eps); };
    })};

/// RMSProp and AdaDelta share their keys (eta, rho, eps) and their build: `slots` accumulators
/// of size P beside θ, and the flow rate b = −ln(ρ)/η.
using MeanSquareStep = Step (*)(const Objective&, double eta, double rho, double eps);
using MeanSquareFlow = System (*)(const Objective&, double b, double eps);

MethodKind mean_square_discrete(const AdaptiveFamily& f, const std::string& summary, MeanSquareStep step, int slots) {
  return adaptive_discrete(f, summary, adaptive_step_time, [step, slots](MethodContext& ctx) -> MethodRun {
    adaptive_energy(ctx);
    const auto& p = ctx.spec().params;
    const double eta = ctx.spec().eta(), rho = p.number("rho"), eps = p.number("eps");
    return [step, slots, eta, rho, eps](MethodContext& c) {
      c.iterate_on_augmented_weights(step(c.problem().objective(), eta, rho, eps),
                                     adaptive_state(c.problem().theta0(), slots), eta);
    };
  });
}

MethodKind mean_square_flow(const AdaptiveFamily& f, const std::string& summary, MeanSquareFlow flow, int slots) {
  return adaptive_flow(f, summary, [flow, slots](MethodContext& ctx) -> MethodRun {
    adaptive_energy(ctx);
    const auto& p = ctx.spec().params;
    const double b = adaptive_rate(p.number("rho"), ctx.spec().eta()), eps = p.number("eps");
    ctx.resolved["b"] = b;
    return [flow, slots, b, eps](MethodContext& c) {
      c.flow_on_augmented_weights(flow(c.problem().objective(), b, eps), adaptive_state(c.problem().theta0(), slots));
    };
  });
}

// --- RMSProp ---------------------------------------------------------------------------
const AdaptiveFamily rmsprop_family{
    "rmsprop",
    {adaptive_number("eta", 0.01, "step size eta, t = k eta"),
     adaptive_number("rho", 0.99, "decay of the mean square v (flow: rate b = -ln(rho)/eta)"),
     adaptive_number("eps", 1e-8, "eps under the root, sqrt(v + eps)")},
    {"rho"}};

const Registration<MethodKind> rmsprop_kind{mean_square_discrete(
    rmsprop_family, "RMSProp v <- rho v + (1-rho) g^2, theta <- theta - eta g/sqrt(v + eps), t = k eta", rmsprop, 1)};

const Registration<MethodKind> rmsprop_flow_kind{mean_square_flow(
    rmsprop_family, "RMSProp flow theta' = -g/sqrt(v + eps), v' = b(g^2 - v), b = -ln(rho)/eta", rmsprop_flow, 1)};

// --- AdaDelta --------------------------------------------------------------------------
const AdaptiveFamily adadelta_family{
    "adadelta",
    {adaptive_number("eta", 1.0, "learning rate eta multiplying Zeiler's update (1: the original), t = k eta"),
     adaptive_number("rho", 0.9, "decay of the mean squares of g and of the update (flow: b = -ln(rho)/eta)"),
     adaptive_number("eps", 1e-6, "eps under both roots")},
    {"rho"}};

const Registration<MethodKind> adadelta_kind{mean_square_discrete(
    adadelta_family, "AdaDelta d = sqrt(u + eps)/sqrt(v + eps) g, theta <- theta - eta d, t = k eta", adadelta, 2)};

const Registration<MethodKind> adadelta_flow_kind{mean_square_flow(
    adadelta_family, "AdaDelta flow theta' = -d, v' = b(g^2 - v), u' = b(d^2 - u), b = -ln(rho)/eta", adadelta_flow, 2)};

// --- Adam ------------------------------------------------------------------------------
const AdaptiveFamily adam_family{
    "adam",
    {adaptive_number("eta", 0.001, "step size eta, t = k eta"),
     adaptive_number("beta1", 0.9, "decay of the first moment m (flow: rate a = -ln(beta1)/eta)"),
     adaptive_number("beta2", 0.999, "decay of the second moment v (flow: rate b = -ln(beta2)/eta)"),
     adaptive_number("eps", 1e-8, "eps added to the root, sqrt(v) + eps"), adaptive_bias_key()},
    {"beta1", "beta2"}};

const Registration<MethodKind> adam_kind{adaptive_discrete(
    adam_family, "Adam theta <- theta - eta mhat/(sqrt(vhat) + eps), bias-corrected moments, t = k eta",
    adaptive_step_time, [](MethodContext& ctx) -> MethodRun {
      adaptive_energy(ctx);
      const auto& p = ctx.spec().params;
      const double eta = ctx.spec().eta(), b1 = p.number("beta1"), b2 = p.number("beta2"), eps = p.number("eps");
      const bool bias = p.flag("bias_correction");
      return [eta, b1, b2, eps, bias](MethodContext& c) {
        c.iterate_on_augmented_weights(adam(c.problem().objective(), eta, b1, b2, eps, bias),
                                       adaptive_state(c.problem().theta0(), 2), eta);
      };
    })};

const Registration<MethodKind> adam_flow_kind{adaptive_flow(
    adam_family,
    "Adam flow theta' = -mhat/(sqrt(vhat) + eps), m' = a(g - m), v' = b(g^2 - v), a = -ln(beta1)/eta, b = -ln(beta2)/eta",
    [](MethodContext& ctx) -> MethodRun {
      adaptive_energy(ctx);
      const auto& p = ctx.spec().params;
      const double eta = ctx.spec().eta(), a = adaptive_rate(p.number("beta1"), eta),
                   b = adaptive_rate(p.number("beta2"), eta), eps = p.number("eps");
      const bool bias = p.flag("bias_correction");
      ctx.resolved["a"] = a;
      ctx.resolved["b"] = b;
      return [a, b, eps, bias](MethodContext& c) {
        c.flow_on_augmented_weights(adam_flow(c.problem().objective(), a, b, eps, bias),
                                    adaptive_state(c.problem().theta0(), 2));
      };
    })};

}  // namespace
}  // namespace gradflow
