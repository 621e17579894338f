// Method kinds of the end-to-end dynamics of deep linear networks (Arora, Cohen, Hazan 2018):
// the flow of Theorem 1 and its discrete update (10), on the matrix W of model.kind = linear,
// which model.product_depth starts at the product of a deep_linear initialisation.
#include <cmath>
#include <utility>

#include "families.hpp"
#include "gradflow/core/error.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/flow/end_to_end.hpp"
#include "gradflow/model/linear.hpp"

namespace gradflow {
namespace {

std::vector<KeySpec> end_to_end_keys() {
  return {{"depth", KeyType::integer, 3L, "N, the depth of the network the dynamics stand for (N = 1: plain GD / gradient flow)"},
          {"weight_decay", KeyType::number, 0.0, "lambda >= 0 of every factor (the field gets -lambda N W)"}};
}

void validate_end_to_end(const Params& p, const std::string& prefix) {
  const long N = p.integer("depth");
  if (N < 1 || N > 1000) throw input_error(prefix + "depth: must lie in [1, 1000], got " + std::to_string(N));
  const double lambda = p.number("weight_decay");
  if (!(lambda >= 0) || !std::isfinite(lambda)) throw input_error(prefix + "weight_decay: must be a non-negative number");
}

/// (d, k) of the model's W; the dynamics are on the end-to-end matrix, which only `linear` has as θ.
std::pair<Index, Index> end_to_end_shape(const MethodContext& ctx) {
  const auto* linear = dynamic_cast<const Linear*>(&ctx.problem().model());
  if (!linear)
    throw input_error(ctx.key("kind") + ": " + ctx.spec().kind +
                      " evolves the end-to-end matrix W, the parameters of model.kind = linear (start it at a deep "
                      "net's product with model.product_depth), not those of " + ctx.problem().experiment().model.kind);
  return {linear->inputs().cols(), linear->num_outputs() / linear->inputs().rows()};
}

const Registration<MethodKind> e2e_flow{{
    .name = "e2e_flow",
    .summary = "W' = -lambda N W - sum_j (W W^T)^((j-1)/N) grad L(W) (W^T W)^((N-j)/N) (Arora et al., Theorem 1)",
    .space = Space::weights,
    .keys = end_to_end_keys(),
    .validate = validate_end_to_end,
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const auto [d, k] = end_to_end_shape(ctx);
          return [d, k](MethodContext& c) {
            const Params& p = c.spec().params;
            c.flow_on_weights(end_to_end_flow(c.problem().objective(), d, k, static_cast<int>(p.integer("depth")),
                                              p.number("weight_decay")),
                              false);
          };
        },
}};

std::vector<KeySpec> e2e_gd_keys() {
  auto keys = end_to_end_keys();
  keys.insert(keys.begin(), eta_key());
  return keys;
}

const Registration<MethodKind> e2e_gd{{
    .name = "e2e_gd",
    .summary = "W <- (1 - eta lambda N) W - eta P_W(grad L(W)), Arora et al.'s update (10), t = k eta",
    .space = Space::discrete,
    .twins = {"e2e_flow"},
    .time_unit = [](double eta) { return eta; },
    .keys = e2e_gd_keys(),
    .default_name = [](const Params& p) { return with_eta("e2e_gd", p); },
    .validate =
        [](const Params& p, const std::string& prefix) {
          require_positive_eta(p, prefix, "e2e_gd");
          validate_end_to_end(p, prefix);
        },
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const auto [d, k] = end_to_end_shape(ctx);
          return [d, k](MethodContext& c) {
            const Params& p = c.spec().params;
            const double eta = c.spec().eta();
            c.iterate_on_weights(end_to_end_descent(c.problem().objective(), d, k, static_cast<int>(p.integer("depth")),
                                                    eta, p.number("weight_decay")),
                                 eta, false);
          };
        },
}};

}  // namespace
}  // namespace gradflow
