#include "gradflow/flow/end_to_end.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradflow {

EndToEndPreconditioner::EndToEndPreconditioner(const Mat& W, int depth) {
  const Eigen::SelfAdjointEigenSolver<Mat> left(W * W.transpose()), right(W.transpose() * W);
  E_ = left.eigenvectors();
  F_ = right.eigenvectors();
  // The zero eigenvalues (d − rank of them in W Wᵀ) come out as rounding noise of either sign,
  // and a fractional power amplifies it ((1e-17)^{1/3} = 2e-6): below the rounding level they are 0.
  const double top = std::max(left.eigenvalues().cwiseAbs().maxCoeff(), right.eigenvalues().cwiseAbs().maxCoeff());
  const double floor = 64.0 * std::numeric_limits<double>::epsilon() * static_cast<double>(W.rows() + W.cols()) * top;
  const auto clean = [floor](const Vec& e) { return Vec((e.array() > floor).select(e, 0.0)); };
  const Vec mu = clean(left.eigenvalues()), nu = clean(right.eigenvalues());
  const double N = depth;
  M_.setZero(mu.size(), nu.size());
  for (int j = 1; j <= depth; ++j) {
    const Vec a = mu.array().pow((j - 1) / N).matrix(), b = nu.array().pow((depth - j) / N).matrix();
    M_.noalias() += a * b.transpose();
  }
}

Mat EndToEndPreconditioner::apply(const Mat& G) const {
  return E_ * (E_.transpose() * G * F_).cwiseProduct(M_) * F_.transpose();
}

namespace {

/// −λN W − P_W(∇L(W)) into out (g is scratch for ∇L).
void end_to_end_field(const Objective& objective, const Vec& theta, Index d, Index k, int depth, double weight_decay,
                      Vec& g, Vec& out) {
  objective.value_gradient(theta, g);
  const Eigen::Map<const Mat> W(theta.data(), d, k);
  const Mat step = EndToEndPreconditioner(W, depth).apply(Eigen::Map<const Mat>(g.data(), d, k));
  out.resize(theta.size());
  Eigen::Map<Mat>(out.data(), d, k) = -step;
  if (weight_decay != 0) out -= (weight_decay * depth) * theta;
}

}  // namespace

System end_to_end_flow(const Objective& objective, Index d, Index k, int depth, double weight_decay) {
  return [&objective, d, k, depth, weight_decay, g = Vec()](const Vec& theta, Vec& dxdt, double) mutable {
    end_to_end_field(objective, theta, d, k, depth, weight_decay, g, dxdt);
  };
}

Step end_to_end_descent(const Objective& objective, Index d, Index k, int depth, double eta, double weight_decay) {
  return [&objective, d, k, depth, eta, weight_decay, g = Vec(), field = Vec()](long, Vec& theta) mutable {
    end_to_end_field(objective, theta, d, k, depth, weight_decay, g, field);
    theta += eta * field;
  };
}

}  // namespace gradflow
