#include "gradflow/loss/objective.hpp"

#include <cmath>

#include "gradflow/core/error.hpp"

namespace gradflow {

Reduction parse_reduction(const std::string& name) {
  if (name == "sum") return Reduction::sum;
  if (name == "mean") return Reduction::mean;
  throw input_error("loss.reduction: must be sum or mean, got '" + name + "'");
}

std::string to_string(Reduction r) { return r == Reduction::sum ? "sum" : "mean"; }

Objective::Objective(const Model& model, const Mat& Y, Reduction reduction)
    : model_(&model),
      y_(Eigen::Map<const Vec>(Y.data(), Y.size())),
      n_(Y.rows()),
      reduction_(reduction),
      c_(reduction == Reduction::sum ? 1.0 : 1.0 / static_cast<double>(Y.rows())) {}

double Objective::value(const Vec& theta) const { return loss_of_residual(residual(theta)); }

double Objective::value_gradient(const Vec& theta, Vec& g) const {
  Vec f;
  model_->residual_gradient(theta, y_, c_, f, g);
  return loss_of_residual(f - y_);
}

Vec Objective::hessian_times(const Vec& theta, const Vec& v) const {
  const double vnorm = v.norm();
  if (vnorm == 0) return Vec::Zero(v.size());
  const double eps = 1e-5 * (1.0 + theta.norm()) / vnorm;
  Vec gp, gm;
  value_gradient(theta + eps * v, gp);
  value_gradient(theta - eps * v, gm);
  return (gp - gm) / (2.0 * eps);
}

double Objective::hessian_lambda_max(const Vec& theta, int iterations) const {
  Vec v = Vec::Ones(theta.size()).normalized();
  double lambda = 0.0;
  for (int i = 0; i < iterations; ++i) {
    const Vec hv = hessian_times(theta, v);
    const double next = v.dot(hv);
    const double norm = hv.norm();
    if (norm == 0) return 0.0;
    v = hv / norm;
    if (i > 5 && std::abs(next - lambda) <= 1e-8 * std::abs(next)) return next;
    lambda = next;
  }
  return lambda;
}

Vec Objective::residual(const Vec& theta) const {
  Vec f;
  model_->predict(theta, f);
  return f - y_;
}

}  // namespace gradflow
