#pragma once
// Two-layer network f(x) = s Σ_r a_r σ(w_rᵀx) with one output (MATH.md §2).
//   θ = [vec(W) (m×d, column-major), a (m)]   when the outer layer is trained,
//   θ = vec(W)                                when a is fixed (Du et al.'s relu2).
// Forward and gradient are two GEMMs, Z = X Wᵀ and G = Mᵀ X, plus elementwise work;
// the NTK is H = s²[(X Xᵀ) ∘ (σ'(Z) diag(a²) σ'(Z)ᵀ) + σ(Z)σ(Z)ᵀ] (no n×P Jacobian).
// Threads (OpenMP, and Eigen's inside the GEMMs) only when n·m·d ≥ 2^25 (n²m for the NTK);
// smaller products run on one thread. Results are bitwise reproducible for a fixed thread
// count; across thread counts they are not in general (Eigen splits large GEMMs differently).
#include "gradflow/model/activation.hpp"
#include "gradflow/model/model.hpp"
#include "gradflow/model/piecewise_linear.hpp"

namespace gradflow {

struct TwoLayerOptions {
  Index width = 1000;
  Activation activation = Activation::relu;
  double beta = 1.0;       ///< softplus sharpness: log(1 + e^{βz})/β
  double scale = 0.0;      ///< s; the factory sets 1/√m (ntk), 1/m (mean_field) or 1 (none)
  bool train_outer = true;
};

/// With ReLU it is piecewise linear: as_piecewise_linear() is the switching integrators' view.
class TwoLayer final : public Model, public PiecewiseLinear {
 public:
  /// `a_fixed` is the outer layer when it is not trained (ignored otherwise).
  TwoLayer(Mat X, TwoLayerOptions options, Vec a_fixed = {});

  std::string kind() const override { return options_.train_outer ? "two_layer" : "relu2"; }
  Index num_params() const override;
  Index num_outputs() const override { return X_.rows(); }

  void predict(const Vec& theta, Vec& f) const override;
  void gradient(const Vec& theta, const Vec& r, Vec& g) const override;
  void jvp(const Vec& theta, const Vec& v, Vec& Jv) const override;
  void ntk(const Vec& theta, Mat& H) const override;
  void residual_gradient(const Vec& theta, const Vec& y, double c, Vec& f, Vec& g) const override;

  const PiecewiseLinear* as_piecewise_linear() const override {
    return options_.activation == Activation::relu ? this : nullptr;
  }
  std::vector<std::string> diagnostic_columns() const override;
  void diagnostics(const Vec& theta, const Vec& theta0, std::span<double> out) const override;

  const Mat& inputs() const { return X_; }
  const TwoLayerOptions& options() const { return options_; }
  Index width() const { return options_.width; }
  /// The weight matrix W (m×d) viewed inside θ.
  Eigen::Map<const Mat> weights(const Vec& theta) const { return {theta.data(), width(), X_.cols()}; }
  /// The outer layer a (m), inside θ or the fixed one.
  Eigen::Map<const Vec> outer(const Vec& theta) const;

  /// σ(Z) and σ'(Z) elementwise.
  void activate(const Mat& Z, Mat* phi, Mat* dphi) const;

  // PiecewiseLinear (meaningful with ReLU): units are the hidden neurons, gain s a_r.
  Index samples() const override { return X_.rows(); }
  Index units() const override { return width(); }
  Index unit_dim() const override { return X_.cols(); }
  void preactivations(const double* theta, Mat& Z) const override;
  void preactivation_rates(const double* theta, const double* theta_dot, Mat& Zd) const override;
  double preactivation(const double* theta, Index i, Index r) const override;
  void pattern_predict(const double* theta, const Mat& Z, const Mat& A, Vec& f) const override;
  void pattern_rate(const double* theta, const double* theta_dot, const Mat& Z, const Mat& Zd, const Mat& A,
                    Vec& fdot) const override;
  void pattern_gradient(const double* theta, const Mat& A, const Vec& y, double c, PatternWork& w,
                        double* g) const override;
  void pattern_backward(const double* theta, const Mat& A, const Vec& r, double* g) const override;
  const Mat& unit_inputs() const override { return X_; }
  Eigen::Map<const Mat> unit_weights(const double* theta) const override { return {theta, width(), X_.cols()}; }
  Eigen::Map<Mat> unit_weights(double* theta) const override { return {theta, width(), X_.cols()}; }
  double unit_gain(const double* theta, Index r) const override { return options_.scale * outer_ptr(theta)[r]; }
  void add_gain_gradient(const double*, Index r, double weight, double* g) const override {
    if (options_.train_outer) g[width() * X_.cols() + r] += weight * options_.scale;
  }

 private:
  /// The backward half of pattern_gradient: g = J_Aᵀ r from ws.XR = diag(r) X.
  void pattern_backward_rows(const double* theta, const Mat& A, double* g) const;
  /// The fused kernel behind gradient() and residual_gradient(): g = Jᵀ r with r given
  /// (`r_in`), or r = c (f − y) with f = f(θ) written to `f` (`y` given). Two GEMMs and one
  /// elementwise pass (two for tanh); scratch is per thread and reused.
  void fused(const Vec& theta, const Vec* y, double c, const Vec* r_in, Vec* f, Vec& g) const;
  /// fused() for ReLU, in tiles of Z that stay in cache; only the pattern is kept between the
  /// GEMMs, one byte per entry.
  void fused_relu(const Vec& theta, const Vec* y, double c, const Vec* r_in, Vec* f, Vec& g) const;
  /// a inside θ (trained) or the fixed one.
  const double* outer_ptr(const double* theta) const {
    return options_.train_outer ? theta + width() * X_.cols() : a_fixed_.data();
  }

  Mat X_;
  TwoLayerOptions options_;
  Vec a_fixed_;
};

}  // namespace gradflow
