#pragma once
// The end-to-end dynamics of a deep linear network (Arora, Cohen, Hazan 2018, Theorem 1), on
// W = W1 ⋯ WN (d×k, this library's row convention: Arora et al.'s W_eᵀ, the formula keeps its form):
//   Ẇ = −λN W − P_W(∇L(W)),   P_W(G) = Σ_{j=1..N} (W Wᵀ)^{(j−1)/N} G (Wᵀ W)^{(N−j)/N},
// which the product of gradient flow on the factors follows from a balanced start (with weight
// decay λ on every factor). P_W is symmetric positive semi-definite; with the eigen-decompositions
// W Wᵀ = E diag(μ) Eᵀ and Wᵀ W = F diag(ν) Fᵀ it acts as G ↦ E [(Eᵀ G F) ∘ M] Fᵀ with
//   M_{rs} = Σ_j μ_r^{(j−1)/N} ν_s^{(N−j)/N}   (0⁰ = 1),
// and its eigenvalues are these M_{rs}, Σ_j σ_r^{2(j−1)/N} σ_s^{2(N−j)/N} in singular values.
#include "gradflow/discrete/iterate.hpp"
#include "gradflow/flow/system.hpp"
#include "gradflow/loss/objective.hpp"

namespace gradflow {

/// P_W for one W: the eigen-decompositions are made once and applied to many G.
class EndToEndPreconditioner {
 public:
  EndToEndPreconditioner(const Mat& W, int depth);
  Mat apply(const Mat& G) const;
  /// M (d×k): the eigenvalue of P_W on E_r F_sᵀ.
  const Mat& eigenvalues() const { return M_; }

 private:
  Mat E_, F_, M_;
};

/// Ẇ = −λN W − P_W(∇L(W)) on θ = vec(W), for an objective whose model is f = X W (d×k).
System end_to_end_flow(const Objective& objective, Index d, Index k, int depth, double weight_decay);
/// Arora et al.'s update (10): W ← (1 − ηλN) W − η P_W(∇L(W)), t = kη.
Step end_to_end_descent(const Objective& objective, Index d, Index k, int depth, double eta, double weight_decay);

}  // namespace gradflow
