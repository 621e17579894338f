#pragma once
// What the weight, discrete, error and exact kinds of one dynamics share: its keys and how
// they resolve (internal to lib/src/kinds).
#include <vector>

#include "gradflow/registry/method_kind.hpp"

namespace gradflow {

/// Discrete methods: the required step `eta` > 0 and the default name KIND_etaX.
/// (Functions, not objects: the kinds of other files copy them during static initialisation.)
const KeySpec& eta_key();
void require_positive_eta(const Params& p, const std::string& prefix, const std::string& kind);
std::string with_eta(const std::string& kind, const Params& p);

/// damping: a ≥ 0, recorded, and the heavy-ball Lyapunov columns.
const std::vector<KeySpec>& heavy_ball_keys();
double heavy_ball_damping(MethodContext& ctx);

/// gamma, alpha: recorded, and the Su–Boyd–Candès columns.
const std::vector<KeySpec>& nesterov_keys();
void validate_gamma(const Params& p, const std::string& prefix);
double nesterov_gamma(MethodContext& ctx);
const KeySpec& t0_key();
void validate_t0(const Params& p, const std::string& prefix);
/// γ/t flows: gamma and t0 checked; t0 resolved (nesterov_start_time) and recorded.
void validate_nesterov_start(const Params& p, const std::string& prefix);
double nesterov_start(MethodContext& ctx);
/// The NAG bound constants (A, t*, t_start) and, with H∞, Bu et al.'s NAG width.
void nesterov_theory(const Problem& problem, const MethodSpec& spec, double delta, nlohmann::json& j);

/// mu > 0: recorded with the damping 2√μ it gives.
const std::vector<KeySpec>& strongly_convex_keys();
double strongly_convex_damping(MethodContext& ctx);

}  // namespace gradflow
