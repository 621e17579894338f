#include "gradflow/model/linear.hpp"

namespace gradflow {

namespace {
Eigen::Map<const Mat> as_matrix(const Vec& v, Index rows, Index cols) { return {v.data(), rows, cols}; }
}  // namespace

void Linear::predict(const Vec& theta, Vec& f) const {
  f.resize(num_outputs());
  Eigen::Map<Mat>(f.data(), X_.rows(), k_).noalias() = X_ * as_matrix(theta, X_.cols(), k_);
}

void Linear::gradient(const Vec&, const Vec& r, Vec& g) const {
  g.resize(num_params());
  Eigen::Map<Mat>(g.data(), X_.cols(), k_).noalias() = X_.transpose() * as_matrix(r, X_.rows(), k_);
}

void Linear::jvp(const Vec&, const Vec& v, Vec& Jv) const { predict(v, Jv); }  // f is linear in θ

void Linear::ntk(const Vec&, Mat& H) const {
  const Index n = X_.rows();
  const Mat G = X_ * X_.transpose();
  H.setZero(n * k_, n * k_);
  for (Index j = 0; j < k_; ++j) H.block(j * n, j * n, n, n) = G;
}

}  // namespace gradflow
