#pragma once
// `gradflow theory FILE.toml`: the theory's numbers for an experiment, without training.
// Builds the experiment's data and θ0 exactly as run_experiment does (same seed, same RNG
// streams) and evaluates, where the model has them:
//   every model   n, d, k, P, L(0), λ_min(H(θ0)), λ_max(H(θ0)), L̂(0) = ½Δ0ᵀ(cH0)Δ0
//   relu2         H∞ (Du et al.), λ0 = λ_min(H∞), the widths Du et al. (seed 003) and Bu et al.
//                 (seed 000) ask for, m = n⁶/(λ0⁴δ³) (HBF, GF) and m = n^{5α/2−4}/(δ^{3α/2−3}
//                 λ0^{3α/2−2}) (NAG), constants of the Ω(·) set to 1, next to model.width
//   two_layer     K^(a), K^(w), λ_S = λ_min(K^(a) + K^(w)) (Yang, seed 002; relu only)
//   GF/HBF/NAG    the bound constants: GF rate cλ0, HBF damping √(2cλ0), rate √(cλ0/2),
//                 prefactor 4/(cλ0); NAG A, t*, t_s from nag_loss_bound(α, γ, cλ0/2)
//   linear2       Xu et al. (seed 001): σ_min, σ_max, κ of X, α0, β0, p1, p2, a1..a4 of
//                 f(η, 0), η_max (η1, η2), η*, f(η*, 0), the asymptotic rate and f(η, 0)
//                 for each discrete method's η.
// Scalar results are top-level numbers of the JSON (so recipes' claim expressions can use
// them by name: lambda0, alpha0, eta_star, ...); per-method numbers sit under "methods".
#include <nlohmann/json.hpp>
#include <string>

#include "gradflow/experiment/experiment.hpp"

namespace gradflow {

struct TheoryOptions {
  double delta = 0.1;  ///< failure probability δ in the width requirements
};

nlohmann::json theory_report(const Experiment& experiment, const TheoryOptions& options = {});

/// A terminal rendering of theory_report (one quantity per line, with its meaning).
std::string theory_text(const nlohmann::json& report);

}  // namespace gradflow
