#pragma once
// Squared loss of a model on its targets: L(θ) = (c/2)‖f(θ) − y‖², with c = 1 for the
// sum reduction (Du et al., Bu et al.) and c = 1/n for the mean reduction (Yang).
// ∇L = Jᵀ c Δ, so gradient flow gives Δ̇ = −c H Δ (MATH.md §1).
#include <string>

#include "gradflow/model/model.hpp"

namespace gradflow {

enum class Reduction { sum, mean };

Reduction parse_reduction(const std::string& name);  ///< throws input_error on anything else
std::string to_string(Reduction r);

class Objective {
 public:
  /// `Y` is the n×k target matrix; the model's outputs are vec(Y)-shaped.
  Objective(const Model& model, const Mat& Y, Reduction reduction);

  const Model& model() const { return *model_; }
  const Vec& targets() const { return y_; }
  Reduction reduction() const { return reduction_; }
  /// The factor c in L = (c/2)‖Δ‖².
  double scale() const { return c_; }
  Index num_samples() const { return n_; }

  double value(const Vec& theta) const;
  /// Returns L(θ) and writes ∇L(θ) into g (one fused forward and backward pass).
  double value_gradient(const Vec& theta, Vec& g) const;
  /// ∇²L(θ) v by a central difference of gradients with a step of relative size 1e-5
  /// (error O(ε²); exact for quadratic L up to rounding).
  Vec hessian_times(const Vec& theta, const Vec& v) const;
  /// λ_max(∇²L(θ)) by power iteration on hessian_times (GD is stable near θ for η < 2/λ_max).
  double hessian_lambda_max(const Vec& theta, int iterations = 100) const;
  /// Δ = f(θ) − y.
  Vec residual(const Vec& theta) const;
  double loss_of_residual(const Vec& delta) const { return 0.5 * c_ * delta.squaredNorm(); }

 private:
  const Model* model_;
  Vec y_;
  Index n_;
  Reduction reduction_;
  double c_;
};

}  // namespace gradflow
