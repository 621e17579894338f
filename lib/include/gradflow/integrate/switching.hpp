#pragma once
// Event-aware integration of ReLU flows across their switching surfaces z_ir(θ) = 0
// (docs/switching.md), written against the PiecewiseLinear view of a model
// (model/piecewise_linear.hpp; TwoLayer with ReLU provides it), and against the general
// SwitchingSurfaces view of curved surfaces (a deep mlp; integrate/curved.cpp).
//
// Gradient flow θ̇ = −∇L has a right-hand side that jumps whenever some z_ir changes sign,
// and a plain adaptive Runge–Kutta method chatters there. These integrators keep the
// activation pattern P explicitly and integrate the smooth field OF THAT PATTERN with dopri5;
// after each accepted step they look for pairs (i, r) whose z_ir left the side P assigns
// (at the step's end, or inside it by a Hermite test on z and ż), locate the first such time on
// the step's dense output, cut the step there, update P and restart.
//
// First order: where both sides push into a surface the solution slides on it (Filippov).
// The sliding field is the minimal-norm element of the Clarke subdifferential of L: per
// neuron r with sliding samples S_r, ẇ_r = −(I − Π_r) c_r with Π_r the orthogonal projector
// onto span{x_i : i ∈ S_r} and c_r the gradient of its non-sliding active samples; the
// Filippov coefficients α_i ∈ [0, 1] are tracked and a pair leaves its surface (an event)
// when its coefficient reaches 0 or 1. Sliding pairs are kept exactly on their surface.
//
// Second order (θ̇ = v, v̇ = −a(t)v − ∇L): z moves with the continuous velocity x_iᵀv_r, so
// crossings are transversal; they are located the same way, and pairs that flip back and
// forth are counted (reversals) — the second-order trace of a surface the first-order flow
// would slide on.
//
// "auto" (SwitchingOptions::step_over) cuts no step at a crossing (docs/switching.md, "How auto
// works"). It finds the pairs that change inside an accepted step from the Hermite cubics of z
// through z and ż at both ends. First order: every unit with a change is integrated alone across
// the step along the step's residual (a polynomial), exactly for its own crossings, onsets and
// ends of sliding (integrate/unit_paths.hpp); the step adds the units' deviations and the
// feedback of the residual change they cause, and is cut shorter where that feedback's error
// estimate exceeds the tolerance. Second order: each crossing is a kink whose effect is added to
// second order in its offset from the step's end; a step whose kink error exceeds the tolerance
// is cut shorter.
//
// Both have the contract of integrate() (integrate.hpp): samples at the requested times from
// the dense output, a step budget (accepted + rejected steps), counters, an observer that can
// stop the run, and divergence when the state is not finite. Only options.stepper = dopri5.
#include <functional>
#include <limits>
#include <vector>

#include "gradflow/integrate/integrate.hpp"
#include "gradflow/loss/objective.hpp"
#include "gradflow/model/piecewise_linear.hpp"
#include "gradflow/model/switching_surfaces.hpp"

namespace gradflow {

/// What the switching integrators saw. `forward_evals` counts the extra one-GEMM passes
/// Z = X Wᵀ (pattern checks at step ends, event location, coefficients) and `backward_evals`
/// the extra one-GEMM passes J_Aᵀr; a right-hand-side evaluation costs two GEMMs, so the total
/// cost is about rhs_evals + (forward_evals + backward_evals) / 2.
struct SwitchingStats {
  long switches = 0;          ///< changes of the mode (active / inactive / sliding) of one pair
  long crossings = 0;         ///< transversal crossings: a pair changed side
  long sliding_episodes = 0;  ///< a pair entered a sliding mode
  long sliding_exits = 0;     ///< a sliding pair left its surface (coefficient reached 0 or 1)
  long sliding_pairs_max = 0; ///< most pairs sliding at the same time
  long sliding_neurons_max = 0;
  long sliding_set_max = 0;   ///< most sliding samples on one neuron
  long events = 0;            ///< located events (steps cut there)
  long double_crossings = 0;  ///< events inside a step whose two ends agree with the pattern
  long bounces = 0;           ///< a pair reached its surface and went back to its side (grazing)
  long repelling = 0;         ///< a sliding pair whose own push turned away from its surface
  long attractive_crossings = 0;  ///< second order: crossings of surfaces the first-order flow would slide on
  long reversals = 0;         ///< crossings of a pair that had crossed before (it went back)
  long rapid_reversals = 0;   ///< reversals within SwitchingOptions::reversal_window of the previous one
  long max_crossings_per_pair = 0;
  double min_reversal_interval = std::numeric_limits<double>::infinity();
  long large_jumps = 0;       ///< pairs found far on the wrong side (not projected; should stay 0)
  double max_projection = 0.0;  ///< largest |z_ir| / (‖x_i‖‖w_r‖) removed by projecting onto a surface
  long locate_evals = 0;      ///< dense-output evaluations while locating events
  long forward_evals = 0;     ///< extra one-GEMM passes (see above)
  long backward_evals = 0;    ///< auto: one-GEMM backward passes J_Aᵀr (the feedback of the stepped-over changes)
  long sliding_pairs = 0;     ///< pairs sliding at the end of the run
  long stepped_crossings = 0; ///< auto: transversal crossings stepped over inside a step (part of `crossings`)
  long kink_cuts = 0;         ///< auto: steps cut shorter because the error estimate of the stepped-over changes was too large
  long stepped_onsets = 0;    ///< auto: sliding modes started inside a step, not cut there (part of `sliding_episodes`)
  long stepped_exits = 0;     ///< auto: sliding modes ended inside a step, not cut there (part of `sliding_exits`)
};

/// The scheme and the tolerances of the event machinery (the defaults suit double precision).
struct SwitchingOptions {
  /// "auto" (true): no step is cut at a crossing. First order: the units that change inside a
  /// step are integrated alone across it (crossings, onsets and ends of sliding) and their
  /// feedback added; second order: each crossing is a kink with a second-order correction. A step
  /// is cut shorter only where the error estimate of that correction asks for it.
  /// "exact" (false): cut every step at its first event.
  bool step_over = true;
  /// Hysteresis of a crossing, relative to ‖x_i‖‖w_r‖: a pair counts as crossed once
  /// sign·z_ir < −z_tol ‖x_i‖‖w_r‖ (round-off around z = 0 is not an event).
  double z_tol = 1e-12;
  /// Hysteresis of a sliding coefficient: it leaves [0, 1] once it passes −alpha_tol or 1 + alpha_tol.
  double alpha_tol = 1e-10;
  /// Look for two crossings inside one step (Hermite test on z and ż at both ends; one extra GEMM per step).
  bool check_double_crossings = true;
  /// A reversal within this flow time of the pair's previous crossing counts as rapid.
  double reversal_window = 1e-6;
  /// Pairs found further than this (relative, as z_tol) on the wrong side are flipped without projection.
  double project_limit = 1e-6;
};

/// Gradient flow θ̇ = −∇L of a piecewise-linear model (relu2, two_layer with ReLU) across its
/// switching surfaces, with Filippov sliding. `objective` must be bound to the model whose
/// as_piecewise_linear() is `model`. Leaves θ at the last time reached.
Outcome integrate_switching(const Objective& objective, const PiecewiseLinear& model, Vec& theta, double t0,
                            const std::vector<double>& times, const IntegrateOptions& options,
                            const SampleObserver& observe, SwitchingStats& stats,
                            const SwitchingOptions& switching = {});

/// Second-order flow on the weights, state x = [θ, v]: θ̇ = v, v̇ = −a(t) v − ∇L(θ)
/// (heavy ball with friction: a constant; Nesterov: a = γ/t). Crossings are located and the
/// pattern flipped; reversals of a pair (a Zeno-like oscillation around a surface) are counted.
Outcome integrate_switching_second_order(const Objective& objective, const PiecewiseLinear& model,
                                         std::function<double(double)> damping, Vec& state, double t0,
                                         const std::vector<double>& times, const IntegrateOptions& options,
                                         const SampleObserver& observe, SwitchingStats& stats,
                                         const SwitchingOptions& switching = {});

/// Gradient flow θ̇ = −∇L of a model with curved switching surfaces (SwitchingSurfaces: a ReLU
/// mlp trained below its last hidden layer, or with several outputs), with Filippov sliding on
/// any set of surfaces, coupled through the Gram matrix of their normals. Every crossing is
/// an event (the "exact" scheme; step_over is not used). Leaves θ at the last time reached.
Outcome integrate_curved_gradient_flow(const Objective& objective, const SwitchingSurfaces& model, Vec& theta, double t0,
                                       const std::vector<double>& times, const IntegrateOptions& options,
                                       const SampleObserver& observe, SwitchingStats& stats,
                                       const SwitchingOptions& switching = {});

/// The second-order flow of a model with curved switching surfaces (SwitchingSurfaces: a ReLU
/// mlp trained below its last hidden layer, or with several outputs), state [θ, v]. Every
/// crossing is an event: located on the dense output, the step cut just past it and the
/// pattern flipped (the "exact" scheme; the options' step_over is not used). `objective` must be
/// bound to the model whose as_switching_surfaces() is `model`.
Outcome integrate_curved_second_order(const Objective& objective, const SwitchingSurfaces& model,
                                      std::function<double(double)> damping, Vec& state, double t0,
                                      const std::vector<double>& times, const IntegrateOptions& options,
                                      const SampleObserver& observe, SwitchingStats& stats,
                                      const SwitchingOptions& switching = {});

}  // namespace gradflow
