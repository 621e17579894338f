#pragma once
// A ReLU net's switching surfaces in general form, curved ones included, and its field with
// the activation pattern fixed: what the curved-surface event integrator needs
// (integrate/switching.hpp, integrate_curved_second_order; docs/switching.md). A model offers
// it through Model::as_switching_surfaces().
//
// Pairs k < surfaces() are (layer, sample, unit) triples of the hidden units whose
// pre-activation moves with θ; their surfaces are z_k(θ) = 0. A pattern A (one entry per pair,
// 1 active, 0 inactive) replaces σ(z) by A∘z and σ'(z) by A at those units, which makes the
// field smooth. Under the pattern of θ's own signs, z_k is the net's pre-activation; from a
// crossing on, it is the pattern net's, which agrees with the net's up to the next crossing.
// PiecewiseLinear (piecewise_linear.hpp) is the flat, unit-local special case.
//
// Sliding (gradient flow) works with the normals n_k = ∇z_k of the pattern net, never formed
// as a matrix N: their Gram matrix, N v (surface_rates) and Nᵀβ (one backward pass).
#include <vector>

#include "gradflow/core/types.hpp"

namespace gradflow {

class SwitchingSurfaces {
 public:
  virtual ~SwitchingSurfaces() = default;

  virtual Index surfaces() const = 0;
  /// z_k(θ) of the pattern net A (empty A: the net's own activations) and, when `scale` is
  /// given, each pair's size |w||h| (the hysteresis of a crossing is relative to it).
  virtual void surface_values(const double* theta, const Vec& A, Vec& z, Vec* scale) const = 0;
  /// ż_k = ∇z_k(θ) · θ̇ of the pattern net A.
  virtual void surface_rates(const double* theta, const double* theta_dot, const Vec& A, Vec& zd) const = 0;
  /// One z_k(θ) of the pattern net A (event location calls this many times; one sample's pass).
  virtual double surface_value(const double* theta, const Vec& A, Index k) const = 0;
  /// g = ∇L_A(θ) for L = (c/2)‖f_A − y‖², the pattern net's loss.
  virtual void pattern_gradient(const double* theta, const Vec& A, const Vec& y, double c, double* g) const = 0;
  /// G = N Nᵀ over the listed pairs (N's rows: their normals ∇z_k under the pattern A).
  virtual void surface_gram(const double* theta, const Vec& A, const std::vector<Index>& pairs, Mat& G) const = 0;
  /// g += Nᵀβ over the listed pairs.
  virtual void add_surface_normals(const double* theta, const Vec& A, const std::vector<Index>& pairs, const Vec& beta,
                                   double* g) const = 0;
  /// u_k = ∂L_A/∂h_k of the listed pairs (h_k = A_k z_k, the unit's output). On its surface
  /// (z_k = 0), switching pair k on (A_k: 0 → 1) adds exactly u_k ∇z_k to ∇L_A, so a sliding
  /// pair's Filippov coefficient is α_k = β_k / u_k. With `beta`, each listed pair (on its
  /// surface, A_k = 0) passes β_k down the backward pass, as a unit of slope α_k does: the u of
  /// a pair below a sliding one on the same sample then counts that unit's α.
  virtual void unit_sensitivities(const double* theta, const Vec& A, const Vec& y, double c,
                                  const std::vector<Index>& pairs, const Vec* beta, Vec& u) const = 0;
};

}  // namespace gradflow
