#include "gradflow/flow/error_dynamics.hpp"

namespace gradflow {

System error_flow(const Mat& K, Damping damping) {
  if (!damping) return [&K](const Vec& x, Vec& dxdt, double) { dxdt.noalias() = -(K * x); };
  return [&K, damping = std::move(damping)](const Vec& x, Vec& dxdt, double t) {
    const Index n = x.size() / 2;
    dxdt.resize(x.size());
    dxdt.head(n) = x.tail(n);
    dxdt.tail(n).noalias() = -damping(t) * x.tail(n) - K * x.head(n);
  };
}

System error_flow(const Mat& K, const Objective& objective, Damping damping) {
  if (objective.loss().quadratic()) return error_flow(K, std::move(damping));  // today's field, bit for bit
  // K = cH carries c, so H∇_f ℓ(Δ) = K·(∇_f ℓ(Δ)/c).
  if (!damping)
    return [&K, &objective](const Vec& x, Vec& dxdt, double) {
      dxdt.noalias() = -(K * objective.unscaled_loss_derivative(x));
    };
  return [&K, &objective, damping = std::move(damping)](const Vec& x, Vec& dxdt, double t) {
    const Index n = x.size() / 2;
    dxdt.resize(x.size());
    dxdt.head(n) = x.tail(n);
    dxdt.tail(n).noalias() = -damping(t) * x.tail(n) - K * objective.unscaled_loss_derivative(x.head(n));
  };
}

System coupled_error_flow(const Objective& objective, Damping damping) {
  const Index P = objective.model().num_params(), n = objective.model().num_outputs();
  const double c = objective.scale();
  const Model& model = objective.model();
  if (!objective.loss().quadratic()) {
    // ℓp: the weights follow −∇L and Δ follows −H(θ)∇_f ℓ(Δ) = −J(Jᵀ∇_f ℓ(Δ)).
    if (!damping) {
      return [&objective, &model, P, n, g = Vec(), w = Vec(), Hd = Vec()](const Vec& x, Vec& dxdt, double) mutable {
        dxdt.resize(x.size());
        objective.value_gradient(x.head(P), g);
        dxdt.head(P) = -g;
        model.gradient(x.head(P), objective.loss_derivative(x.tail(n)), w);
        model.jvp(x.head(P), w, Hd);
        dxdt.tail(n) = -Hd;
      };
    }
    return [&objective, &model, P, n, damping = std::move(damping), g = Vec(), w = Vec(), Hd = Vec()](
               const Vec& x, Vec& dxdt, double t) mutable {
      dxdt.resize(x.size());
      const Vec theta = x.segment(0, P);
      const double a = damping(t);
      objective.value_gradient(theta, g);
      dxdt.segment(0, P) = x.segment(P, P);
      dxdt.segment(P, P) = -a * x.segment(P, P) - g;
      model.gradient(theta, objective.loss_derivative(x.segment(2 * P, n)), w);
      model.jvp(theta, w, Hd);
      dxdt.segment(2 * P, n) = x.segment(2 * P + n, n);
      dxdt.segment(2 * P + n, n) = -a * x.segment(2 * P + n, n) - Hd;
    };
  }
  if (!damping) {
    return [&objective, &model, P, n, c, g = Vec(), w = Vec(), Kd = Vec()](const Vec& x, Vec& dxdt, double) mutable {
      dxdt.resize(x.size());
      objective.value_gradient(x.head(P), g);
      dxdt.head(P) = -g;
      model.gradient(x.head(P), x.tail(n), w);  // K Δ = c J (Jᵀ Δ)
      model.jvp(x.head(P), w, Kd);
      dxdt.tail(n) = -c * Kd;
    };
  }
  return [&objective, &model, P, n, c, damping = std::move(damping), g = Vec(), w = Vec(), Kd = Vec()](
             const Vec& x, Vec& dxdt, double t) mutable {
    dxdt.resize(x.size());
    const auto theta = x.segment(0, P);
    const double a = damping(t);
    objective.value_gradient(theta, g);
    dxdt.segment(0, P) = x.segment(P, P);
    dxdt.segment(P, P) = -a * x.segment(P, P) - g;
    model.gradient(theta, x.segment(2 * P, n), w);
    model.jvp(theta, w, Kd);
    dxdt.segment(2 * P, n) = x.segment(2 * P + n, n);
    dxdt.segment(2 * P + n, n) = -a * x.segment(2 * P + n, n) - c * Kd;
  };
}

}  // namespace gradflow
