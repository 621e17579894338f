#pragma once
// The loss of a model on its targets, Δ = f(θ) − y, with c = 1 for the sum reduction
// (Du et al., Bu et al.) and c = 1/n for the mean reduction (Yang):
//   squared (default)  L = (c/2)‖Δ‖²        ∇_f ℓ(Δ) = cΔ
//   lp, p ≥ 2          L = (c/p) Σ|Δ_i|^p   ∇_f ℓ(Δ) = c sign(Δ)|Δ|^{p−1}
// ∇L = Jᵀ∇_f ℓ(Δ), so gradient flow gives Δ̇ = −H ∇_f ℓ(Δ); for the squared loss this is
// the linear Δ̇ = −cHΔ (MATH.md §1) that the closed forms and Lyapunov columns assume.
#include <string>

#include "gradflow/model/model.hpp"

namespace gradflow {

enum class Reduction { sum, mean };

Reduction parse_reduction(const std::string& name);  ///< throws input_error on anything else
std::string to_string(Reduction r);

/// Which loss: `squared` is today's (c/2)‖Δ‖²; `lp` is (c/p)Σ|Δ|^p (p = 2 gives the same
/// numbers, computed by the general path).
struct LossSpec {
  enum class Kind { squared, lp } kind = Kind::squared;
  double p = 2.0;  ///< the exponent (lp only)

  bool squared() const { return kind == Kind::squared; }
  /// True when the loss is ½‖Δ‖² up to c, the case of the linear error dynamics Δ̇ = −cHΔ.
  bool quadratic() const { return squared() || p == 2.0; }
  /// "squared" or "lp (p = 4)", for messages.
  std::string describe() const;
};

/// Parses loss.kind and loss.p (throws input_error naming the key).
LossSpec make_loss_spec(const std::string& kind, bool has_p, double p);
std::string to_string(LossSpec::Kind kind);

class Objective {
 public:
  /// `Y` is the n×k target matrix; the model's outputs are vec(Y)-shaped.
  Objective(const Model& model, const Mat& Y, Reduction reduction, LossSpec loss = {});

  const Model& model() const { return *model_; }
  const Vec& targets() const { return y_; }
  Reduction reduction() const { return reduction_; }
  const LossSpec& loss() const { return loss_; }
  /// The factor c in L = (c/2)‖Δ‖² (or (c/p)Σ|Δ|^p).
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
  double loss_of_residual(const Vec& delta) const;
  /// ∇_f ℓ(Δ): cΔ for the squared loss, c sign(Δ)|Δ|^{p−1} for lp. ∇L = Jᵀ of it.
  Vec loss_derivative(const Vec& delta) const;
  /// ∇_f ℓ(Δ)/c: Δ for the squared loss, sign(Δ)|Δ|^{p−1} for lp. With K = cH the error
  /// dynamics are Δ̇ = −K·this, so the kernels that already carry c need no division.
  Vec unscaled_loss_derivative(const Vec& delta) const;

 private:
  const Model* model_;
  Vec y_;
  Index n_;
  Reduction reduction_;
  LossSpec loss_;
  double c_;
};

}  // namespace gradflow
