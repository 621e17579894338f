// Second-order methods: the heavy-ball flow with friction and heavy ball; the Nesterov flow
// (γ/t) and Nesterov's method; their strongly convex versions (2√μ). Discrete twins run on
// t = k√η (MATH.md §3).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "gradflow/core/error.hpp"
#include "gradflow/experiment/expression.hpp"
#include "gradflow/experiment/problem.hpp"
#include "families.hpp"
#include "gradflow/theory/lyapunov.hpp"

namespace gradflow {

double heavy_ball_damping(MethodContext& ctx) {
  const double a = ctx.value("damping");
  if (a < 0) throw input_error(ctx.key("damping") + ": must be non-negative");
  ctx.resolved["damping"] = a;
  ctx.energy.dynamics = EnergyOptions::Dynamics::heavy_ball;
  ctx.energy.damping = a;
  return a;
}

double nesterov_gamma(MethodContext& ctx) {
  const double gamma = ctx.spec().params.number("gamma");
  ctx.resolved["gamma"] = gamma;
  ctx.resolved["alpha"] = ctx.value("alpha");
  ctx.energy.dynamics = EnergyOptions::Dynamics::nesterov;
  ctx.energy.gamma = gamma;
  ctx.energy.alpha = ctx.resolved["alpha"];
  return gamma;
}

double strongly_convex_damping(MethodContext& ctx) {
  const double mu = ctx.value("mu");
  if (!(mu > 0)) throw input_error(ctx.key("mu") + ": must be positive (lambda0 may be 0 here)");
  ctx.resolved["mu"] = mu;
  ctx.resolved["damping"] = 2.0 * std::sqrt(mu);
  ctx.energy.dynamics = EnergyOptions::Dynamics::other;
  return 2.0 * std::sqrt(mu);
}

const std::vector<KeySpec>& heavy_ball_keys() {
  static const std::vector<KeySpec> keys{
      {"damping", KeyType::expression, std::string("sqrt(2*lambda0)"), "friction a: a number or an expression"}};
  return keys;
}

const std::vector<KeySpec>& nesterov_keys() {
  static const std::vector<KeySpec> keys{
      {"gamma", KeyType::number, 3.0, "the gamma of gamma/t"},
      {"alpha", KeyType::expression, std::string("2*gamma/3"), "Su-Boyd-Candes alpha of the su columns"}};
  return keys;
}

void validate_gamma(const Params& p, const std::string& prefix) {
  const double gamma = p.number("gamma");
  if (!(gamma > 0) || !std::isfinite(gamma)) throw input_error(prefix + "gamma: must be positive");
}

const KeySpec& t0_key() {
  static const KeySpec key{"t0", KeyType::number, 0.0, "start time of the gamma/t flow (0: min(1e-3, first sample interval/10))"};
  return key;
}

void validate_t0(const Params& p, const std::string& prefix) {
  if (!(p.number("t0") >= 0)) throw input_error(prefix + "t0: must be non-negative");
}

const std::vector<KeySpec>& strongly_convex_keys() {
  static const std::vector<KeySpec> keys{
      {"mu", KeyType::expression, std::string("lambda0"), "strong convexity mu; damping 2 sqrt(mu)"}};
  return keys;
}

std::string with_eta(const std::string& kind, const Params& p) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s_eta%g", kind.c_str(), p.number("eta"));
  return buf;
}

const KeySpec& eta_key() {
  static const KeySpec key = [] {
    KeySpec k{"eta", KeyType::number, 0.0, "step size eta"};
    k.required = true;
    return k;
  }();
  return key;
}

void require_positive_eta(const Params& p, const std::string& prefix, const std::string& kind) {
  const double eta = p.number("eta");
  if (!(eta > 0) || !std::isfinite(eta)) throw input_error(prefix + "eta: a positive step size is required for " + kind);
}

void validate_nesterov_start(const Params& p, const std::string& prefix) {
  validate_gamma(p, prefix);
  validate_t0(p, prefix);
}

double nesterov_start(MethodContext& ctx) {
  const double t0 = nesterov_start_time(ctx.spec(), ctx.times());
  ctx.resolved["t0"] = t0;
  return t0;
}

void nesterov_theory(const Problem& problem, const MethodSpec& spec, double delta, nlohmann::json& j) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  const double l0 = problem.c() * problem.lambda0(), n = static_cast<double>(problem.data().n());
  const double gamma = spec.params.number("gamma");
  j["gamma"] = gamma;
  double alpha = std::numeric_limits<double>::quiet_NaN();
  try {
    alpha = evaluate_expression(spec.params.text("alpha"), {{"gamma", gamma}, {"lambda0", l0}, {"n", n}},
                                "methods." + spec.name + ".alpha");
  } catch (const std::exception&) {
  }
  j["alpha"] = num(alpha);
  try {
    const NagBound b = nag_loss_bound(alpha, gamma, l0 / 2);
    j["A"] = b.constant;
    j["t_star"] = b.t_star;
    j["t_start"] = b.t_start;
    j["A_multiplies"] = b.in_pseudo_loss ? "pseudo_loss0" : "loss0";
  } catch (const std::exception& ex) {
    j["bound_note"] = ex.what();
  }
  if (problem.H_inf()) {
    // Bu et al.'s NAG width n^{5α/2−4} / (δ^{3α/2−3} λ0^{3α/2−2}) (Ω constant 1).
    const double lambda0 = problem.lambda0();
    j["width_required_bu_nag"] =
        num(std::pow(n, 2.5 * alpha - 4) / (std::pow(delta, 1.5 * alpha - 3) * std::pow(lambda0, 1.5 * alpha - 2)));
    j["bu_nag_theorem_applies"] = alpha > 4 && alpha <= 2 * gamma / 3 + 1e-12 && gamma > 6;
  }
}

namespace {

double sqrt_step_time(double eta) { return std::sqrt(eta); }

std::vector<KeySpec> joined(std::vector<KeySpec> a, const std::vector<KeySpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}




const Registration<MethodKind> hbf{{
    .name = "hbf",
    .summary = "heavy-ball flow with friction: theta'' + a theta' + grad L = 0",
    .space = Space::weights,
    .order = 2,
    .keys = heavy_ball_keys(),
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double a = heavy_ball_damping(ctx);
          return [a](MethodContext& c) { c.second_order_on_weights(constant_damping(a)); };
        },
}};

const Registration<MethodKind> hb{{
    .name = "hb",
    .summary = "heavy ball x+ = x - eta grad L(x) + beta (x - x-), t = k sqrt(eta)",
    .space = Space::discrete,
    .order = 2,
    .twins = {"hbf"},
    .time_unit = sqrt_step_time,
    .stability_limit =  // 2(1 + β)/λ_max
    [](const MethodContext& ctx, double eta, double lmax) {
      return 2.0 * (2.0 - ctx.resolved.at("damping") * std::sqrt(eta)) / lmax;
    },
    .keys = joined(joined({eta_key()}, heavy_ball_keys()),
                   {{"beta", KeyType::expression, std::string(""), "momentum beta (empty: 1 - a sqrt(eta))"}}),
    .default_name = [](const Params& p) { return with_eta("hb", p); },
    .validate = [](const Params& p, const std::string& prefix) { require_positive_eta(p, prefix, "hb"); },
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double a = heavy_ball_damping(ctx), eta = ctx.spec().eta();
          const double beta = ctx.spec().params.text("beta").empty() ? 1.0 - a * std::sqrt(eta) : ctx.value("beta");
          ctx.resolved["beta"] = beta;
          return [eta, beta](MethodContext& c) {
            c.iterate_on_weights(heavy_ball(c.problem().objective(), eta, beta), std::sqrt(eta), true);
          };
        },
}};

const Registration<MethodKind> nag_flow{{
    .name = "nag_flow",
    .summary = "Nesterov flow theta'' + (gamma/t) theta' + grad L = 0, from the series start at t0",
    .space = Space::weights,
    .order = 2,
    .keys = joined(nesterov_keys(), {t0_key()}),
    .validate = validate_nesterov_start,
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double gamma = nesterov_gamma(ctx), t0 = nesterov_start(ctx);
          // γ/t is stiff for large γ: an explicit step h stays below about 3.3 t/γ, so reaching
          // t_end from t0 takes about (γ/3.3) ln(t_end/t0) steps. Refused before anything runs
          // rather than spending the budget for hours.
          const double needed = gamma / 3.3 * std::log(std::max(ctx.times().back() / t0, 1.0));
          if (needed > static_cast<double>(ctx.spec().integrate.max_steps)) {
            char buf[200];
            std::snprintf(buf, sizeof buf, ": gamma = %g makes gamma/t stiff; the stepper needs about %.3g steps, more than "
                          "max_steps = %ld", gamma, needed, ctx.spec().integrate.max_steps);
            throw input_error(ctx.key("gamma") + buf);
          }
          return [gamma, t0](MethodContext& c) { c.second_order_on_weights(nesterov_damping(gamma), gamma, t0); };
        },
    .theory = nesterov_theory,
}};

const Registration<MethodKind> nag{{
    .name = "nag",
    .summary = "Nesterov with momentum (k-1)/(k+gamma-1), t = k sqrt(eta)",
    .space = Space::discrete,
    .order = 2,
    .twins = {"nag_flow"},
    .time_unit = sqrt_step_time,
    .stability_limit = [](const MethodContext&, double, double lmax) { return 4.0 / (3.0 * lmax); },  // β_k → 1
    .keys = joined({eta_key()}, nesterov_keys()),
    .default_name = [](const Params& p) { return with_eta("nag", p); },
    .validate =
        [](const Params& p, const std::string& prefix) {
          require_positive_eta(p, prefix, "nag");
          validate_gamma(p, prefix);
        },
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double gamma = nesterov_gamma(ctx), eta = ctx.spec().eta();
          return [gamma, eta](MethodContext& c) {
            c.iterate_on_weights(nesterov(c.problem().objective(), eta, gamma), std::sqrt(eta), true);
          };
        },
    .theory = nesterov_theory,
}};

const Registration<MethodKind> nag_sc_flow{{
    .name = "nag_sc_flow",
    .summary = "strongly convex Nesterov flow theta'' + 2 sqrt(mu) theta' + grad L = 0",
    .space = Space::weights,
    .order = 2,
    .keys = strongly_convex_keys(),
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double a = strongly_convex_damping(ctx);
          return [a](MethodContext& c) { c.second_order_on_weights(constant_damping(a)); };
        },
}};

const Registration<MethodKind> nag_sc{{
    .name = "nag_sc",
    .summary = "Nesterov with constant momentum (1 - sqrt(mu eta))/(1 + sqrt(mu eta)), t = k sqrt(eta)",
    .space = Space::discrete,
    .order = 2,
    .twins = {"nag_sc_flow"},
    .time_unit = sqrt_step_time,
    .stability_limit =
        [](const MethodContext& ctx, double eta, double lmax) {
          const double r = std::sqrt(ctx.resolved.at("mu") * eta), beta = (1 - r) / (1 + r);
          return (2.0 + 2.0 * beta) / ((1.0 + 2.0 * beta) * lmax);
        },
    .keys = joined({eta_key()}, strongly_convex_keys()),
    .default_name = [](const Params& p) { return with_eta("nag_sc", p); },
    .validate = [](const Params& p, const std::string& prefix) { require_positive_eta(p, prefix, "nag_sc"); },
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double eta = ctx.spec().eta();
          strongly_convex_damping(ctx);
          const double mu = ctx.resolved.at("mu");
          return [mu, eta](MethodContext& c) {
            c.iterate_on_weights(nesterov_strongly_convex(c.problem().objective(), eta, mu), std::sqrt(eta), true);
          };
        },
}};

}  // namespace
}  // namespace gradflow
