#include "gradflow/flow/gradient_flow.hpp"

namespace gradflow {

System gradient_flow(const Objective& objective, double weight_decay) {
  return [&objective, weight_decay](const Vec& x, Vec& dxdt, double) {
    objective.value_gradient(x, dxdt);
    dxdt = -dxdt;
    if (weight_decay != 0) dxdt -= weight_decay * x;
  };
}

System modified_gradient_flow(const Objective& objective, double eta, double weight_decay) {
  // With weight decay, L_λ = L + (λ/2)‖θ‖²: ∇L_λ = g + λθ and H_λ = H + λI.
  return [&objective, eta, weight_decay, g = Vec()](const Vec& theta, Vec& dxdt, double) mutable {
    objective.value_gradient(theta, g);
    if (weight_decay != 0) g += weight_decay * theta;
    dxdt = -g - (eta / 2.0) * objective.hessian_times(theta, g);
    if (weight_decay != 0) dxdt -= (eta / 2.0) * weight_decay * g;
  };
}

}  // namespace gradflow
