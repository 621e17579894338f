#include "gradflow/loss/objective.hpp"

#include <cmath>
#include <cstdio>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"

namespace gradflow {

Reduction parse_reduction(const std::string& name) {
  if (name == "sum") return Reduction::sum;
  if (name == "mean") return Reduction::mean;
  throw input_error("loss.reduction: must be sum or mean, got '" + name + "'");
}

std::string to_string(Reduction r) { return r == Reduction::sum ? "sum" : "mean"; }

std::string to_string(LossSpec::Kind kind) { return kind == LossSpec::Kind::squared ? "squared" : "lp"; }

std::string LossSpec::describe() const {
  if (squared()) return "squared";
  char buf[64];
  std::snprintf(buf, sizeof buf, "lp (p = %g)", p);
  return buf;
}

LossSpec make_loss_spec(const std::string& kind, bool has_p, double p) {
  LossSpec s;
  if (kind == "squared") {
    // p would be silently ignored: the squared loss has no exponent to set.
    if (has_p) throw input_error("loss.p: only loss.kind = \"lp\" has an exponent (the squared loss is p = 2)");
    return s;
  }
  if (kind != "lp") throw input_error("loss.kind: must be squared or lp, got '" + printable(kind) + "'");
  if (!has_p) throw input_error("loss.p: loss.kind = \"lp\" needs the exponent p (a number >= 2)");
  // Below 2, |Δ|^p is not twice differentiable at Δ = 0 (the Hessian terms and the
  // error dynamics' Jacobian blow up there).
  if (!std::isfinite(p) || !(p >= 2.0)) throw input_error("loss.p: must be a finite number >= 2");
  s.kind = LossSpec::Kind::lp;
  s.p = p;
  return s;
}

Objective::Objective(const Model& model, const Mat& Y, Reduction reduction, LossSpec loss)
    : model_(&model),
      y_(Eigen::Map<const Vec>(Y.data(), Y.size())),
      n_(Y.rows()),
      reduction_(reduction),
      loss_(loss),
      c_(reduction == Reduction::sum ? 1.0 : 1.0 / static_cast<double>(Y.rows())) {}

double Objective::value(const Vec& theta) const { return loss_of_residual(residual(theta)); }

double Objective::value_gradient(const Vec& theta, Vec& g) const {
  Vec f;
  if (loss_.quadratic()) {
    // Today's fused pass, also for lp with p = 2: the numbers stay bit for bit the same.
    model_->residual_gradient(theta, y_, c_, f, g);
    return loss_of_residual(f - y_);
  }
  model_->predict(theta, f);
  const Vec delta = f - y_;
  model_->gradient(theta, loss_derivative(delta), g);  // ∇L = Jᵀ∇_f ℓ(Δ)
  return loss_of_residual(delta);
}

double Objective::loss_of_residual(const Vec& delta) const {
  if (loss_.quadratic()) return 0.5 * c_ * delta.squaredNorm();
  const double p = loss_.p;
  return c_ / p * delta.array().abs().pow(p).sum();
}

Vec Objective::unscaled_loss_derivative(const Vec& delta) const {
  if (loss_.quadratic()) return delta;
  const double q = loss_.p - 1.0;
  // sign(Δ)|Δ|^{p−1}, written so that Δ = 0 gives 0 (p > 2) rather than 0·inf.
  return delta.unaryExpr([q](double d) { return std::copysign(std::pow(std::abs(d), q), d); });
}

Vec Objective::loss_derivative(const Vec& delta) const {
  if (loss_.quadratic()) return c_ * delta;
  return c_ * unscaled_loss_derivative(delta);
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
