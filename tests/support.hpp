#pragma once
// Shared helpers of the test suite: small problems and finite differences.
#include <cmath>
#include <string>
#include <vector>

#include "gradflow/gradflow.hpp"

namespace gradflow::test {

struct SmallProblem {
  Dataset data;
  ModelInstance inst;
  Objective objective() const { return Objective(*inst.model, data.Y, Reduction::sum); }
};

inline SmallProblem make_problem(const std::string& data_kind, Index n, Index d, const ModelOptions& mo,
                            std::uint64_t seed = 7, Index k = 1) {
  Rng rng(seed);
  DataOptions o;
  o.kind = data_kind;
  o.n = n;
  o.d = d;
  o.k = k;
  SmallProblem p{make_dataset(o, rng), {}};
  p.inst = make_model(mo, p.data, rng);
  return p;
}

/// f = Xθ: one-layer least squares, H = X Xᵀ.
class LeastSquares : public Model {
 public:
  explicit LeastSquares(Mat X) : X_(std::move(X)) {}
  std::string kind() const override { return "least_squares"; }
  Index num_params() const override { return X_.cols(); }
  Index num_outputs() const override { return X_.rows(); }
  void predict(const Vec& th, Vec& f) const override { f = X_ * th; }
  void gradient(const Vec&, const Vec& r, Vec& g) const override { g = X_.transpose() * r; }
  void jvp(const Vec&, const Vec& v, Vec& Jv) const override { Jv = X_ * v; }
  void ntk(const Vec&, Mat& H) const override { H = X_ * X_.transpose(); }

 private:
  Mat X_;
};

/// Runs `system` from `x` at t0 and keeps every sample.
inline std::vector<Vec> trajectory(const System& system, Vec x, double t0, const std::vector<double>& times,
                                   double tol) {
  IntegrateOptions o;
  o.rtol = tol;
  o.atol = tol * 1e-2;
  std::vector<Vec> out;
  integrate(system, x, t0, times, o, [&](double, const Vec& s) {
    out.push_back(s);
    return true;
  });
  return out;
}

/// Jacobian of the predictions by central differences (n·k × P).
inline Mat fd_jacobian(const Model& m, const Vec& theta, double h = 1e-6) {
  Mat J(m.num_outputs(), m.num_params());
  Vec tp = theta, fp, fm;
  for (Index j = 0; j < theta.size(); ++j) {
    tp(j) = theta(j) + h;
    m.predict(tp, fp);
    tp(j) = theta(j) - h;
    m.predict(tp, fm);
    tp(j) = theta(j);
    J.col(j) = (fp - fm) / (2 * h);
  }
  return J;
}

/// Gradient of the loss by central differences.
inline Vec fd_gradient(const Objective& obj, const Vec& theta, double h = 1e-6) {
  Vec g(theta.size()), tp = theta;
  for (Index j = 0; j < theta.size(); ++j) {
    tp(j) = theta(j) + h;
    const double lp = obj.value(tp);
    tp(j) = theta(j) - h;
    const double lm = obj.value(tp);
    tp(j) = theta(j);
    g(j) = (lp - lm) / (2 * h);
  }
  return g;
}

/// k + 1 equally spaced sample times on [0, t_end].
inline std::vector<double> grid(double t_end, int k) {
  std::vector<double> t;
  for (int i = 0; i <= k; ++i) t.push_back(t_end * i / k);
  return t;
}

/// Slope of a least-squares line through (log x, log y).
inline double loglog_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double m = static_cast<double>(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
  }
  return (m * sxy - sx * sy) / (m * sxx - sx * sx);
}

}  // namespace gradflow::test
