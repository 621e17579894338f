#include "gradflow/model/deep_linear.hpp"

#include <algorithm>
#include <cmath>

#include "gradflow/core/error.hpp"
#include "gradflow/model/init.hpp"

namespace gradflow {
namespace {

/// The largest singular values the diagnostics report.
constexpr Index kSigmaColumns = 8;

}  // namespace

DeepLinear::DeepLinear(Mat X, const std::vector<Index>& hidden, Index outputs, std::string kind)
    : X_(std::move(X)), kind_(std::move(kind)) {
  widths_.push_back(X_.cols());
  widths_.insert(widths_.end(), hidden.begin(), hidden.end());
  widths_.push_back(outputs);
  offsets_.push_back(0);
  for (std::size_t j = 1; j < widths_.size(); ++j) offsets_.push_back(offsets_.back() + widths_[j - 1] * widths_[j]);
}

Mat DeepLinear::end_to_end(const Vec& theta) const {
  Mat W = factor(theta, 1);
  for (Index j = 2; j <= depth(); ++j) W = W * factor(theta, j);
  return W;
}

void DeepLinear::predict(const Vec& theta, Vec& f) const {
  // Left to right: n×h work matrices, as a forward pass (and Linear2's (X W1) W2).
  Mat P = X_ * factor(theta, 1);
  for (Index j = 2; j < depth(); ++j) P = P * factor(theta, j);
  f.resize(num_outputs());
  Eigen::Map<Mat>(f.data(), X_.rows(), outputs()).noalias() = P * factor(theta, depth());
}

void DeepLinear::gradient(const Vec& theta, const Vec& r, Vec& g) const {
  // ∇_{W_j} = A_jᵀ (Xᵀ R) B_jᵀ: one pass over the n rows, then d×k-sized products.
  const Index N = depth();
  const Mat M = X_.transpose() * Eigen::Map<const Mat>(r.data(), X_.rows(), outputs());
  std::vector<Mat> suffix(N + 1);  // suffix[j] = B_j = W_{j+1} ⋯ W_N (suffix[N] = I, not stored)
  if (N >= 2) suffix[N - 1] = factor(theta, N);
  for (Index j = N - 2; j >= 1; --j) suffix[j] = factor(theta, j + 1) * suffix[j + 1];
  g.resize(num_params());
  Mat A;  // A_j = W1 ⋯ W_{j−1} (A_1 = I, not stored)
  for (Index j = 1; j <= N; ++j) {
    Eigen::Map<Mat> G(g.data() + offsets_[j - 1], widths_[j - 1], widths_[j]);
    if (j == 1) G.noalias() = M * suffix[1].transpose();
    else if (j == N) G.noalias() = A.transpose() * M;
    else G.noalias() = (A.transpose() * M) * suffix[j].transpose();
    if (j < N) A = j == 1 ? Mat(factor(theta, 1)) : Mat(A * factor(theta, j));
  }
}

void DeepLinear::jvp(const Vec& theta, const Vec& v, Vec& Jv) const {
  // J v = X Σ_j A_j V_j B_j, carried forward as (A_j, S_j = Σ_{i<j} A_i V_i B'_i) by the product rule.
  const Index N = depth();
  const auto V = [&](Index j) { return Eigen::Map<const Mat>(v.data() + offsets_[j - 1], widths_[j - 1], widths_[j]); };
  Mat A = factor(theta, 1), S = V(1);
  for (Index j = 2; j <= N; ++j) {
    Mat next = S * factor(theta, j);
    next.noalias() += A * V(j);
    S = std::move(next);
    if (j < N) A = A * factor(theta, j);
  }
  Jv.resize(num_outputs());
  Eigen::Map<Mat>(Jv.data(), X_.rows(), outputs()).noalias() = X_ * S;
}

void DeepLinear::ntk(const Vec& theta, Mat& H) const {
  const Index n = X_.rows(), k = outputs(), N = depth();
  std::vector<Mat> suffix(N + 1);
  if (N >= 2) suffix[N - 1] = factor(theta, N);
  for (Index j = N - 2; j >= 1; --j) suffix[j] = factor(theta, j + 1) * suffix[j + 1];
  H.setZero(n * k, n * k);
  Mat P = X_;  // X A_j
  for (Index j = 1; j <= N; ++j) {
    const Mat K = P * P.transpose();
    if (j == N) {  // B_N = I_k
      for (Index a = 0; a < k; ++a) H.block(a * n, a * n, n, n) += K;
    } else {
      const Mat B = suffix[j].transpose() * suffix[j];  // k×k
      for (Index a = 0; a < k; ++a)
        for (Index b = 0; b < k; ++b) H.block(a * n, b * n, n, n) += B(a, b) * K;
      P = P * factor(theta, j);
    }
  }
}

Mat DeepLinear::balance_residual(const Vec& theta, Index j) const {
  const auto A = factor(theta, j);
  const auto B = factor(theta, j + 1);
  return A.transpose() * A - B * B.transpose();
}

std::vector<std::string> DeepLinear::diagnostic_columns() const {
  std::vector<std::string> names;
  for (Index j = 1; j < depth(); ++j) names.push_back("balance_" + std::to_string(j));
  for (Index i = 1; i <= std::min({d(), outputs(), kSigmaColumns}); ++i) names.push_back("sigma_" + std::to_string(i));
  return names;
}

void DeepLinear::diagnostics(const Vec& theta, const Vec&, std::span<double> out) const {
  std::size_t c = 0;
  for (Index j = 1; j < depth(); ++j) out[c++] = balance_residual(theta, j).norm();
  const Vec sigma = Eigen::JacobiSVD<Mat>(end_to_end(theta)).singularValues();
  for (Index i = 0; i < std::min({d(), outputs(), kSigmaColumns}); ++i) out[c++] = sigma(i);
}

Vec DeepLinear::pack(const std::vector<Mat>& factors) const {
  Vec theta(num_params());
  for (std::size_t j = 0; j < factors.size(); ++j)
    Eigen::Map<Mat>(theta.data() + offsets_[j], widths_[j], widths_[j + 1]) = factors[j];
  return theta;
}

void DeepLinearInit::validate(const std::string& key, const std::vector<Index>& widths) const {
  const auto positive = [](double v) { return v > 0 && std::isfinite(v); };
  if (scheme == "balanced") {
    if (!positive(scale)) throw input_error(key + "_scale: must be positive");
    const Index rank = std::min(widths.front(), widths.back());
    for (std::size_t j = 1; j + 1 < widths.size(); ++j)
      if (widths[j] < rank)
        throw input_error(key + ": balanced needs every hidden width >= min(d, k) = " + std::to_string(rank) + ", got " +
                          std::to_string(widths[j]));
  } else if (scheme == "near_zero" || scheme == "identity") {
    if (!(epsilon >= 0) || !std::isfinite(epsilon)) throw input_error("model.epsilon: must be a non-negative number");
  } else {
    try {
      InitOptions{scheme, scale}.validate(key);
    } catch (const input_error&) {
      throw input_error(key + ": unknown initialiser '" + scheme +
                        "' (expected balanced, near_zero, identity, normal, ntk, lecun, xavier, he or uniform)");
    }
  }
}

std::vector<Mat> draw_deep_linear(const std::vector<Index>& widths, const DeepLinearInit& init, Rng& rng) {
  const std::size_t N = widths.size() - 1;
  std::vector<Mat> W(N);
  if (init.scheme == "balanced") {
    const Mat We = rng.normal(widths.front(), widths.back(), init.scale);
    const Eigen::JacobiSVD<Mat> svd(We, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Index r = svd.singularValues().size();
    const Vec root = svd.singularValues().array().pow(1.0 / static_cast<double>(N)).matrix();
    Mat left = svd.matrixU();  // the previous factor's orthonormal right side (d × r for W1)
    for (std::size_t j = 1; j < N; ++j) {
      const Eigen::HouseholderQR<Mat> qr(rng.normal(widths[j], r));
      const Mat Q = qr.householderQ() * Mat::Identity(widths[j], r);  // h_j × r, orthonormal columns
      W[j - 1] = left * root.asDiagonal() * Q.transpose();
      left = Q;
    }
    W[N - 1] = left * root.asDiagonal() * svd.matrixV().transpose();
    return W;
  }
  for (std::size_t j = 0; j < N; ++j) {
    const Index rows = widths[j], cols = widths[j + 1];
    if (init.scheme == "near_zero") W[j] = rng.normal(rows, cols, init.epsilon);
    else if (init.scheme == "identity") W[j] = Mat::Identity(rows, cols) + rng.normal(rows, cols, init.epsilon);
    else W[j] = init_matrix(rows, cols, rows, cols, InitOptions{init.scheme, init.scale}, rng);
  }
  return W;
}

}  // namespace gradflow
