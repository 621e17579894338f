#pragma once
// Lyapunov functions and theoretical bounds along a trajectory (MATH.md §4), in terms of the
// error dynamics' matrix K = c·H and λ0 of K (so either loss convention works):
//   all            pseudo_loss   ½ΔᵀKΔ
//   first order    bound         Du et al.: L(0) e^{−λ0 t}
//   heavy ball     siegel        L̂ + ½‖√(λ0/2)Δ + Δ̇‖²
//                  bound         Bu et al.: (4/λ0) e^{−√(λ0/2)t} L̂(0), only when a = √(2λ0)
//   Nesterov       su            Su–Boyd–Candès V(t; α, γ)
//                  su_corrected  Ṽ = V − (c(α−2)/8) t^{α−2}‖Δ‖²
//                  bound         A t^{−α} L(0) (or L̂(0)), μ = λ0/2 (docs/theory.md)
// All of them rest on the linear error dynamics of the squared loss (p = 2): for an ℓp loss
// with p ≠ 2 the diagnostic has no columns, and asking for one is refused.
#include <string>
#include <vector>

#include "gradflow/observe/diagnostic.hpp"

namespace gradflow {

struct EnergyOptions {
  enum class Dynamics { first_order, heavy_ball, nesterov, other } dynamics = Dynamics::first_order;
  double lambda0 = 0.0;  ///< λ0 of K (already multiplied by c)
  double damping = 0.0;  ///< heavy ball a
  double gamma = 3.0;    ///< Nesterov γ
  double alpha = 2.0;    ///< Su's α
  bool quadratic_loss = true;  ///< false (ℓp, p ≠ 2): no columns
};

std::unique_ptr<Diagnostic> energy_diagnostic(const EnergyOptions& options);

/// The columns of energy_diagnostic for some dynamics: pseudo_loss, siegel, su, su_corrected, bound.
const std::vector<std::string>& energy_columns();
/// Throws input_error naming `where` and loss.kind when `columns` asks for an energy column
/// and the loss is not quadratic (those columns then do not exist).
void require_energy_columns_exist(const std::vector<std::string>& columns, const LossSpec& loss,
                                  const std::string& where);

}  // namespace gradflow
