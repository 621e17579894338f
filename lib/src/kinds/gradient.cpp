// First-order methods: gradient flow, the modified flow of GD, GD, and GD with Xu et al.'s
// theorem steps (linear models).
#include <cmath>
#include <cstdio>
#include <memory>

#include "gradflow/core/error.hpp"
#include "families.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/flow/gradient_flow.hpp"
#include "gradflow/model/linear.hpp"
#include "gradflow/model/linear2.hpp"
#include "gradflow/theory/xu.hpp"

namespace gradflow {
namespace {

double step_time(double eta) { return eta; }

const KeySpec& weight_decay_key() {
  static const KeySpec key{"weight_decay", KeyType::number, 0.0, "lambda >= 0: adds -lambda theta to the field (L2 on every weight)"};
  return key;
}

void validate_weight_decay(const Params& p, const std::string& prefix) {
  const double lambda = p.number("weight_decay");
  if (!(lambda >= 0) || !std::isfinite(lambda)) throw input_error(prefix + "weight_decay: must be a non-negative number");
}

const Registration<MethodKind> gf{{
    .name = "gf",
    .summary = "gradient flow: theta' = -grad L - lambda theta (lambda = weight_decay, 0 by default)",
    .space = Space::weights,
    .gradient_flow = true,
    .keys = {weight_decay_key()},
    .validate = validate_weight_decay,
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double lambda = ctx.spec().params.number("weight_decay");
          // The switching integrators integrate −∇L of a piecewise-linear model, nothing added.
          if (lambda > 0 && ctx.problem().model().piecewise_linear() && ctx.spec().switching != "off")
            throw input_error(ctx.key("weight_decay") + ": the switching integrator takes no weight decay; set " +
                              ctx.key("switching") + " = \"off\" or use a smooth model");
          return [lambda](MethodContext& c) {
            c.flow_on_weights(gradient_flow(c.problem().objective(), lambda), lambda == 0);
          };
        },
}};

const Registration<MethodKind> modified_gf{{
    .name = "modified_gf",
    .summary = "theta' = -grad(L + (eta/4)|grad L|^2): the flow GD follows to O(eta^2) (with weight_decay, of L + lambda/2 |theta|^2)",
    .space = Space::weights,
    .smooth_only = true,
    .keys = {eta_key(), weight_decay_key()},
    .default_name = [](const Params& p) { return with_eta("modified_gf", p); },
    .validate =
        [](const Params& p, const std::string& prefix) {
          require_positive_eta(p, prefix, "modified_gf");
          validate_weight_decay(p, prefix);
        },
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          // Its field holds the Hessian, which jumps on every switching surface of a ReLU model:
          // the plain stepper chatters there for hours at tight tolerances.
          if (ctx.problem().model().piecewise_linear())
            throw input_error(ctx.key("kind") + ": modified_gf needs a smooth model (its field holds the Hessian), but " +
                              ctx.problem().experiment().model.kind +
                              " is piecewise linear; use model.kind = two_layer with activation = tanh or softplus");
          return [](MethodContext& ctx) {
            // Not across switching surfaces: its field holds the Hessian, not only the pattern.
            ctx.flow_on_weights(modified_gradient_flow(ctx.problem().objective(), ctx.spec().eta(),
                                                       ctx.spec().params.number("weight_decay")),
                                false);
          };
        },
}};

const Registration<MethodKind> gd{{
    .name = "gd",
    .summary = "gradient descent theta <- theta - eta grad L, t = k eta",
    .space = Space::discrete,
    .twins = {"gf", "modified_gf"},
    .time_unit = step_time,
    .stability_limit = [](const MethodContext&, double, double lmax) { return 2.0 / lmax; },
    .keys = {eta_key(), weight_decay_key()},
    .default_name = [](const Params& p) { return with_eta("gd", p); },
    .validate =
        [](const Params& p, const std::string& prefix) {
          require_positive_eta(p, prefix, "gd");
          validate_weight_decay(p, prefix);
        },
    .prepare =
        [](MethodContext&) -> MethodRun {
          return [](MethodContext& ctx) {
            const double eta = ctx.spec().eta();
            ctx.iterate_on_weights(
                gradient_descent(ctx.problem().objective(), eta, ctx.spec().params.number("weight_decay")), eta, false);
          };
        },
}};

/// Xu et al.'s GD: the fixed step η* = argmin_{η ≤ η_max} f(η, 0), or the adaptive
/// η*_t = argmin_{η ≤ η_max} f(η, t) recomputed from L(t) at every iteration.
MethodRun prepare_xu(MethodContext& ctx, bool adaptive) {
  const Problem& problem = ctx.problem();
  const Objective* objective = &problem.objective();
  const bool sum = problem.experiment().reduction == Reduction::sum;
  if (const auto* one = dynamic_cast<const Linear*>(&problem.model()); one && sum) {
    // Non-over-parameterised (Xu et al. eq. 21): ρ(η) = 1 − 2ημ + Kμη² is least at η = 1/K,
    // K = σ²_max(X), μ = σ²_min(X); the bound does not change with t, so both kinds use it.
    const Eigen::SelfAdjointEigenSolver<Mat> es(one->inputs().transpose() * one->inputs(), Eigen::EigenvaluesOnly);
    const double K = es.eigenvalues().maxCoeff(), mu = es.eigenvalues().minCoeff();
    ctx.resolved["eta_star"] = 1.0 / K;
    ctx.resolved["rate"] = 1.0 - mu / K;
    return [objective, eta = 1.0 / K](MethodContext& c) {
      c.iterate_on_weights([objective, eta, g = Vec()](long, Vec& theta) mutable {
        objective->value_gradient(theta, g);
        theta -= eta * g;
      }, c.spec().eta(), false);
    };
  }
  const auto* lin = dynamic_cast<const Linear2*>(&problem.model());
  if (!lin || lin->kind() != "linear2" || !sum)
    throw input_error(ctx.key("kind") + ": " + ctx.spec().kind + " needs model.kind = linear2 (or linear) and the sum loss");
  auto xu = std::make_shared<XuRate>(lin->inputs(), problem.data().Y, lin->W1(problem.theta0()), lin->W2(problem.theta0()));
  ctx.resolved["eta_star"] = xu->eta_star();
  ctx.resolved["eta_max"] = xu->eta_max();
  ctx.resolved["rate"] = xu->rate();
  return [objective, xu, adaptive](MethodContext& c) {
    c.iterate_on_weights([objective, xu, adaptive, g = Vec()](long, Vec& theta) mutable {
      const double loss = objective->value_gradient(theta, g);
      theta -= (adaptive ? xu->adaptive_step(loss) : xu->eta_star()) * g;
    }, c.spec().eta(), false);
  };
}

MethodKind xu_kind(const std::string& name, const std::string& summary, bool adaptive) {
  return {
      .name = name,
      .summary = summary,
      .space = Space::discrete,
      .twins = {"gf"},
      .time_unit = step_time,
      .step_from_theory = true,
      .squared_loss_only = "Xu et al.'s step and rate are proved for the squared loss",
      .keys = {{"eta", KeyType::number, 1.0, "the time unit only, t = k eta (the step is the theorem's)"}},
      .default_name = [name](const Params& p) { return with_eta(name, p); },
      .validate =
          [](const Params& p, const std::string& prefix) {
            if (!(p.number("eta") > 0) || !std::isfinite(p.number("eta"))) throw input_error(prefix + "eta: must be positive");
          },
      .prepare = [adaptive](MethodContext& ctx) { return prepare_xu(ctx, adaptive); },
  };
}

const Registration<MethodKind> gd_xu_fixed{
    xu_kind("gd_xu_fixed", "linear2 (or linear): GD with Xu et al.'s fixed step eta*", false)};
const Registration<MethodKind> gd_xu_adaptive{
    xu_kind("gd_xu_adaptive", "linear2: GD with Xu et al.'s adaptive step eta*_t", true)};

}  // namespace
}  // namespace gradflow
