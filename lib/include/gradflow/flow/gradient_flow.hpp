#pragma once
#include "gradflow/flow/system.hpp"
#include "gradflow/loss/objective.hpp"

namespace gradflow {

/// θ̇ = −∇L(θ) − λθ (λ: weight decay, 0 by default).
System gradient_flow(const Objective& objective, double weight_decay = 0.0);

/// The modified flow of GD with step η (backward error analysis, MATH.md §6):
/// θ̇ = −∇(L + (η/4)‖∇L‖²) = −(∇L + (η/2) ∇²L ∇L). GD tracks it to O(η²) on a fixed horizon.
/// The Hessian-vector product is Objective::hessian_times. With weight decay λ (GD on
/// L + (λ/2)‖θ‖²) the same formula holds for that objective: ∇L + λθ and ∇²L + λI.
System modified_gradient_flow(const Objective& objective, double eta, double weight_decay = 0.0);

}  // namespace gradflow
