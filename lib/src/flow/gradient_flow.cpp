#include "gradflow/flow/gradient_flow.hpp"

namespace gradflow {

System gradient_flow(const Objective& objective, double weight_decay) {
  return [&objective, weight_decay](const Vec& x, Vec& dxdt, double) {
    objective.value_gradient(x, dxdt);
    dxdt = -dxdt;
    if (weight_decay != 0) dxdt -= weight_decay * x;
  };
}

System modified_gradient_flow(const Objective& objective, double eta) {
  return [&objective, eta, g = Vec()](const Vec& theta, Vec& dxdt, double) mutable {
    objective.value_gradient(theta, g);
    dxdt = -g - (eta / 2.0) * objective.hessian_times(theta, g);
  };
}

}  // namespace gradflow
