#include "gradflow/observe/sample.hpp"

#include "gradflow/observe/spectrum.hpp"

namespace gradflow {

const Vec& Sample::residual() {
  if (view_.delta) return *view_.delta;
  if (!residual_) residual_ = objective_.residual(*view_.theta);
  return *residual_;
}

const Vec& Sample::residual_rate() {
  if (view_.delta_dot) return *view_.delta_dot;
  if (!rate_) {
    Vec r;
    if (view_.theta) {
      // Δ̇ = J θ̇, with θ̇ = −∇L for first-order methods.
      objective_.model().jvp(*view_.theta, view_.velocity ? *view_.velocity : Vec(-gradient()), r);
    } else {
      // First-order error methods: Δ̇ = −H∇_f ℓ(Δ) = −K·∇_f ℓ(Δ)/c (−KΔ for the squared loss).
      r = -(kernel() * objective_.unscaled_loss_derivative(residual()));
    }
    rate_ = std::move(r);
  }
  return *rate_;
}

double Sample::loss() { return objective_.loss_of_residual(residual()); }

double Sample::pseudo_loss() {
  const Vec& d = residual();
  // Weights and no K formed yet: ½ΔᵀcJJᵀΔ = ‖∇L‖²/(2c) without an (n·k)² matrix.
  if (has_weights() && !kernel_ && !view_.kernel) return gradient().squaredNorm() / (2 * objective_.scale());
  return 0.5 * d.dot(kernel() * d);
}

const Vec& Sample::gradient() {
  if (!gradient_) {
    Vec g;
    objective_.model().gradient(*view_.theta, objective_.loss_derivative(residual()), g);  // Jᵀ∇_f ℓ(Δ)
    gradient_ = std::move(g);
  }
  return *gradient_;
}

const Mat& Sample::kernel() {
  if (view_.kernel) return *view_.kernel;
  if (!kernel_) {
    Mat H;
    objective_.model().ntk(*view_.theta, H);
    kernel_ = objective_.scale() * H;
  }
  return *kernel_;
}

double Sample::lambda_min() {
  if (!lambda_min_) lambda_min_ = gradflow::lambda_min(kernel()) / objective_.scale();
  return *lambda_min_;
}

double lambda_min(const Mat& H) { return smallest_eigenvalue(H); }  // Lanczos for large n

}  // namespace gradflow
