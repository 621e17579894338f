#pragma once
// What the switching integrators (integrate/switching.hpp, docs/switching.md) need from a
// piecewise-linear model: its switching surfaces and the smooth field of a fixed activation
// pattern. A model offers it through Model::as_piecewise_linear().
//
// Pairs (i, r) index an n×m grid: sample i, unit r. The surface of a pair is z_ir(θ) = 0, and
// the activation pattern A (n×m, 1 active, 0 inactive or sliding) replaces σ(z) by A∘z and
// σ'(z) by A, which makes the field smooth between events.
//
// Two parts:
//  - general (any ReLU net): the pre-activations Z(θ), their rates Ż(θ, θ̇), a single z_ir,
//    and the prediction and gradient with the pattern fixed.
//  - linear, unit-local surfaces (two-layer specific): z_ir = x_iᵀ w_r, where w_r (d entries)
//    is the incoming weight vector of unit r and x_i its input. The Filippov sliding
//    projection and the event resolution use this form: the surface normal ∇_θ z_ir is x_i in
//    w_r's block, so the minimal-norm subdifferential element splits into one small QP per
//    unit, and the gain ∂f_i/∂z_ir on the active side is one number per unit.
//
// A deep ReLU net trained below its last hidden layer has curved surfaces whose normals
// ∇_θ z_ir span every upstream block; it offers only the general SwitchingSurfaces view
// (switching_surfaces.hpp); there the sliding resolution is one QP coupled across units and
// layers through the Gram matrix of the normals (integrate/curved.cpp).
#include <Eigen/Dense>

#include "gradflow/core/types.hpp"

namespace gradflow {

/// Scratch of the pattern field, owned by the caller so that repeated evaluations reuse it.
struct PatternWork {
  Mat Z, M;  ///< n×m
  Vec f, res;
};

class PiecewiseLinear {
 public:
  virtual ~PiecewiseLinear() = default;

  virtual Index samples() const = 0;   ///< n
  virtual Index units() const = 0;     ///< m
  virtual Index unit_dim() const = 0;  ///< d, the length of one unit's incoming weights

  // ---- surfaces (θ may be the head of a longer state, e.g. [θ, v]) -------------------------
  /// Z = (z_ir(θ)), n×m.
  virtual void preactivations(const double* theta, Mat& Z) const = 0;
  /// Ż = d/dt Z along θ̇, n×m.
  virtual void preactivation_rates(const double* theta, const double* theta_dot, Mat& Zd) const = 0;
  /// One z_ir(θ) (event location calls this many times).
  virtual double preactivation(const double* theta, Index i, Index r) const = 0;

  // ---- the field with the pattern A fixed ------------------------------------------------
  /// f = f_A(θ) from Z = Z(θ).
  virtual void pattern_predict(const double* theta, const Mat& Z, const Mat& A, Vec& f) const = 0;
  /// ḟ = d/dt f_A(θ) along θ̇, from Z = Z(θ) and Ż = Ż(θ, θ̇).
  virtual void pattern_rate(const double* theta, const double* theta_dot, const Mat& Z, const Mat& Zd, const Mat& A,
                            Vec& fdot) const = 0;
  /// g = ∇L_A(θ) for L = (c/2)‖f_A − y‖²: the residual c (f_A − y) is left in w.res, A∘Z in w.Z.
  virtual void pattern_gradient(const double* theta, const Mat& A, const Vec& y, double c, PatternWork& w,
                                double* g) const = 0;
  /// g = J_Aᵀ r, the gradient of rᵀf_A(θ) (one backward pass: the residual r is given).
  virtual void pattern_backward(const double* theta, const Mat& A, const Vec& r, double* g) const = 0;

  // ---- linear, unit-local surfaces z_ir = x_iᵀ w_r (two-layer specific, see above) --------
  /// The inputs x_i of the units, n×d: the normal of surface (i, r) within w_r's block.
  virtual const Mat& unit_inputs() const = 0;
  /// The rows w_r of the m×d matrix of incoming weights, viewed inside θ.
  virtual Eigen::Map<const Mat> unit_weights(const double* theta) const = 0;
  virtual Eigen::Map<Mat> unit_weights(double* theta) const = 0;
  /// ∂f_i/∂z_ir on the active side, the same for every sample i.
  virtual double unit_gain(const double* theta, Index r) const = 0;
  /// g += weight ∇_θ unit_gain(θ, r): how the gain moves with the parameters outside w_r (a
  /// trained outer layer), which the stepped-over crossings' correction needs.
  virtual void add_gain_gradient(const double* theta, Index r, double weight, double* g) const = 0;
};

}  // namespace gradflow
