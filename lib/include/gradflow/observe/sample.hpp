#pragma once
// One observed state of a method. Diagnostics ask it for Δ, Δ̇, L, ∇L, K or λ_min; each is
// computed once per sample, on demand, from the observed state itself (never from values
// cached by a right-hand-side call: Runge–Kutta stages are not observed states).
//
// K = c·H is the matrix of the error dynamics Δ̇ = −KΔ (c = 1 for the sum loss, 1/n for the
// mean loss); for the sum loss it is the NTK H itself.
#include <optional>

#include "gradflow/loss/objective.hpp"

namespace gradflow {

/// What a method exposes at a sample; absent parts are null.
struct StateView {
  double t = 0.0;
  const Vec* theta = nullptr;      ///< weights (weight-space methods)
  const Vec* velocity = nullptr;   ///< θ̇ (second-order flows; momentum methods: (x_k − x_{k−1})/√η)
  const Vec* delta = nullptr;      ///< Δ (error-space and exact methods)
  const Vec* delta_dot = nullptr;  ///< Δ̇ (second-order error-space and exact methods)
  const Mat* kernel = nullptr;     ///< a constant K used by the method (frozen H(θ0) or H∞, times c)
};

class Sample {
 public:
  Sample(const Objective& objective, StateView view) : objective_(objective), view_(view) {}

  double t() const { return view_.t; }
  const StateView& view() const { return view_; }
  const Objective& objective() const { return objective_; }
  /// A method on the weights (for coupled error dynamics θ is present but Δ is the ODE's).
  bool has_weights() const { return view_.theta != nullptr && view_.delta == nullptr; }

  const Vec& residual();       ///< Δ
  const Vec& residual_rate();  ///< Δ̇: given, or J θ̇, or −K∇_f ℓ(Δ)/c (−KΔ) for first-order methods
  double loss();               ///< the objective's loss of Δ ((c/2)‖Δ‖² for the squared loss)
  double pseudo_loss();        ///< ½ΔᵀKΔ (a Lyapunov function of the squared loss only)
  const Vec& gradient();       ///< ∇L(θ) (weight-space methods only)
  const Mat& kernel();         ///< K: the method's constant one, or c·H(θ)
  double lambda_min();         ///< λ_min(H) = λ_min(K)/c

 private:
  const Objective& objective_;
  StateView view_;
  std::optional<Vec> residual_, rate_, gradient_;
  std::optional<Mat> kernel_;
  std::optional<double> lambda_min_;
};

/// Smallest eigenvalue of a symmetric matrix.
double lambda_min(const Mat& H);

}  // namespace gradflow
