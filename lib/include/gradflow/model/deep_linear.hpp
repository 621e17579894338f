#pragma once
// Deep linear network f = X W1 W2 ⋯ WN with N ≥ 2 factors (row convention: X is n×d,
// W1 d×h1, …, WN h_{N−1}×k; Arora et al. write the transpose, W_e = W_N ⋯ W_1).
//   θ = [vec W1; …; vec WN] (column-major), f = vec(X W) with W = W1 ⋯ WN the end-to-end matrix.
//   H = Σ_j (B_jᵀB_j) ⊗ (X A_j A_jᵀ Xᵀ),  A_j = W1 ⋯ W_{j−1},  B_j = W_{j+1} ⋯ WN.
// Gradient flow conserves the balancedness residuals W_jᵀW_j − W_{j+1}W_{j+1}ᵀ (h_j × h_j).
#include <string>
#include <vector>

#include "gradflow/core/rng.hpp"
#include "gradflow/model/model.hpp"

namespace gradflow {

class DeepLinear : public Model {
 public:
  /// N = hidden.size() + 1 factors on the n×d inputs X, with k outputs.
  DeepLinear(Mat X, const std::vector<Index>& hidden, Index outputs, std::string kind = "deep_linear");

  std::string kind() const override { return kind_; }
  Index num_params() const override { return offsets_.back(); }
  Index num_outputs() const override { return X_.rows() * outputs(); }

  void predict(const Vec& theta, Vec& f) const override;
  void gradient(const Vec& theta, const Vec& r, Vec& g) const override;
  void jvp(const Vec& theta, const Vec& v, Vec& Jv) const override;
  void ntk(const Vec& theta, Mat& H) const override;

  /// balance_j = ‖W_jᵀW_j − W_{j+1}W_{j+1}ᵀ‖_F (j = 1 … N−1), then sigma_i, the largest
  /// singular values of the end-to-end matrix W (at most 8).
  std::vector<std::string> diagnostic_columns() const override;
  void diagnostics(const Vec& theta, const Vec& theta0, std::span<double> out) const override;

  Index depth() const { return static_cast<Index>(widths_.size()) - 1; }
  Index d() const { return X_.cols(); }
  Index outputs() const { return widths_.back(); }
  /// (d, h1, …, h_{N−1}, k).
  const std::vector<Index>& widths() const { return widths_; }
  const Mat& inputs() const { return X_; }
  /// W_j for j = 1 … N.
  Eigen::Map<const Mat> factor(const Vec& theta, Index j) const {
    return {theta.data() + offsets_[j - 1], widths_[j - 1], widths_[j]};
  }
  /// W = W1 ⋯ WN (d×k).
  Mat end_to_end(const Vec& theta) const;
  /// W_jᵀW_j − W_{j+1}W_{j+1}ᵀ for j = 1 … N−1.
  Mat balance_residual(const Vec& theta, Index j) const;
  /// Packs W1 … WN into θ.
  Vec pack(const std::vector<Mat>& factors) const;

 private:
  Mat X_;
  std::vector<Index> widths_, offsets_;
  std::string kind_;
};

/// How the N factors start:
///   balanced   W = W1 ⋯ WN ~ N(0, scale²) entrywise, split by its SVD W = U Σ Vᵀ as
///              W1 = U Σ^{1/N} Q1ᵀ, W_j = Q_{j−1} Σ^{1/N} Q_jᵀ, WN = Q_{N−1} Σ^{1/N} Vᵀ with random
///              orthonormal Q_j (h_j × rank): every balancedness residual is 0 (needs h_j ≥ min(d, k))
///   near_zero  every entry N(0, epsilon²): Arora et al.'s small initialisation
///   identity   the rectangular identity plus N(0, epsilon²) noise
///   normal, ntk, lecun, xavier, he, uniform: init_matrix per factor, with its fan-in and fan-out
struct DeepLinearInit {
  std::string scheme = "balanced";
  double scale = 1.0;
  double epsilon = 0.01;

  /// `widths` = (d, h1, …, k); throws input_error naming `key` (model.init).
  void validate(const std::string& key, const std::vector<Index>& widths) const;
};

/// The factors W1 … WN for `widths`, drawn in order (for N = 2 the draws of linear2).
std::vector<Mat> draw_deep_linear(const std::vector<Index>& widths, const DeepLinearInit& init, Rng& rng);

}  // namespace gradflow
