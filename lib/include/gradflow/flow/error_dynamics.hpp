#pragma once
// The induced error dynamics (MATH.md §3), in terms of the matrix K = c·H of Δ̇ = −KΔ
// (c = 1 for the sum loss, 1/n for the mean loss; for an ℓp loss KΔ reads K·∇_f ℓ(Δ)/c):
//   first order    Δ̇ = −KΔ                       state Δ
//   second order   Δ̈ + a(t)Δ̇ + KΔ = 0            state [Δ; Δ̇]
// K is either constant (H frozen at θ0, or H∞) or taken from weights that co-evolve under
// the weight-space flow of the same order ("coupled").
#include "gradflow/flow/momentum.hpp"

namespace gradflow {

/// Δ̇ = −KΔ, or with damping Δ̈ = −a(t)Δ̇ − KΔ on [Δ; Δ̇]. Pass no damping for first order.
System error_flow(const Mat& K, Damping damping = {});
/// The same for the objective's loss: KΔ becomes H∇_f ℓ(Δ) = K·∇_f ℓ(Δ)/c (a nonlinear
/// field for ℓp, p ≠ 2); for the squared loss it is error_flow(K, damping) itself.
System error_flow(const Mat& K, const Objective& objective, Damping damping = {});

/// Coupled error dynamics: the weights follow their own flow (gradient flow when `damping`
/// is empty, else the momentum flow) and Δ follows the error ODE with K = c·H(θ(t)),
/// applied matrix-free as c·J(Jᵀ Δ) (for ℓp: J(Jᵀ∇_f ℓ(Δ))). State [θ; Δ] or [θ; v; Δ; Δ̇].
System coupled_error_flow(const Objective& objective, Damping damping = {});

}  // namespace gradflow
