#pragma once
// One-layer linear regression f = X W, W ∈ R^{d×k} (θ = vec(W), column-major): the
// non-over-parameterised baseline of Xu et al. and, with X = diag(√h), the quadratic
// ½ Σ h_i (θ_i − θ*_i)² of Su–Boyd–Candès. Its NTK H = I_k ⊗ X Xᵀ is constant.
#include "gradflow/model/model.hpp"

namespace gradflow {

class Linear final : public Model {
 public:
  Linear(Mat X, Index outputs) : X_(std::move(X)), k_(outputs) {}

  std::string kind() const override { return "linear"; }
  Index num_params() const override { return X_.cols() * k_; }
  Index num_outputs() const override { return X_.rows() * k_; }

  void predict(const Vec& theta, Vec& f) const override;
  void gradient(const Vec& theta, const Vec& r, Vec& g) const override;
  void jvp(const Vec& theta, const Vec& v, Vec& Jv) const override;
  void ntk(const Vec& theta, Mat& H) const override;

  const Mat& inputs() const { return X_; }

 private:
  Mat X_;
  Index k_;
};

}  // namespace gradflow
