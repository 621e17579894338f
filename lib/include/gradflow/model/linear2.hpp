#pragma once
// Two-layer linear network f = X W1 W2 with matrix targets (Xu et al., MATH.md §2): the
// N = 2 deep linear network, with Xu et al.'s names.
//   H = (W2ᵀW2) ⊗ (X Xᵀ) + I_k ⊗ (X W1 W1ᵀ Xᵀ).
// The imbalance D = W1ᵀW1 − W2W2ᵀ is conserved by gradient flow.
#include "gradflow/model/deep_linear.hpp"

namespace gradflow {

class Linear2 final : public DeepLinear {
 public:
  Linear2(Mat X, Index hidden, Index outputs, std::string kind = "linear2")
      : DeepLinear(std::move(X), {hidden}, outputs, std::move(kind)) {}

  /// The change of D from θ0 (Xu et al.'s invariant).
  std::vector<std::string> diagnostic_columns() const override { return {"imbalance"}; }
  void diagnostics(const Vec& theta, const Vec& theta0, std::span<double> out) const override;

  Index hidden() const { return widths()[1]; }
  Eigen::Map<const Mat> W1(const Vec& theta) const { return factor(theta, 1); }
  Eigen::Map<const Mat> W2(const Vec& theta) const { return factor(theta, 2); }
  /// D = W1ᵀW1 − W2W2ᵀ.
  Mat imbalance(const Vec& theta) const { return balance_residual(theta, 1); }
  Vec pack(const Mat& W1, const Mat& W2) const { return DeepLinear::pack({W1, W2}); }
};

}  // namespace gradflow
