#pragma once
// Discrete methods as iterations k → k+1 on a state, observed at chosen iterations.
#include <functional>
#include <vector>

#include "gradflow/core/types.hpp"
#include "gradflow/core/outcome.hpp"
#include "gradflow/loss/objective.hpp"

namespace gradflow {

/// Advances the state from iteration k to k + 1.
using Step = std::function<void(long k, Vec& state)>;
/// Called at each sampled iteration; returning false stops the run.
using IterationObserver = std::function<bool(long k, const Vec& state)>;

/// Runs `step` from k = 0 up to the last of the sorted `sample_iterations`, observing each.
/// `gradients_per_step` is what one step costs in gradient evaluations (for the counters).
Outcome iterate(const Step& step, Vec& state, const std::vector<long>& sample_iterations,
                const IterationObserver& observe, long gradients_per_step = 1);

/// GD: θ ← θ − η(∇L(θ) + λθ) (λ: weight decay).  State θ; time t = kη.
Step gradient_descent(const Objective& objective, double eta, double weight_decay = 0.0);

// Momentum methods share the state layout [x_k; x_{k−1}; y_k] (3P), where x_k is the iterate
// compared with the flow at t = k√η and y_k the point where the gradient is taken.
// momentum_state(θ0) starts them at rest: x_0 = x_{−1} = y_0 = θ0.
Vec momentum_state(const Vec& theta0);

/// Heavy ball: x⁺ = x − η∇L(x) + β(x − x⁻).  Its flow is HBF with a = (1 − β)/√η.
Step heavy_ball(const Objective& objective, double eta, double beta);
/// Nesterov (Su–Boyd–Candès): x_k = y_{k−1} − η∇L(y_{k−1}), y_k = x_k + (k−1)/(k+γ−1)(x_k − x_{k−1}).
Step nesterov(const Objective& objective, double eta, double gamma);
/// Nesterov for μ-strongly convex problems: momentum (1 − √(μη))/(1 + √(μη)).
Step nesterov_strongly_convex(const Objective& objective, double eta, double mu);

}  // namespace gradflow
