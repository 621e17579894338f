#pragma once
// Xu, Min, Tarmoun, Mallada, Vidal (AISTATS 2023), seed 001: the GD rate polynomial of a
// two-layer linear network. Notation (MATH.md §2): X ∈ R^{N×n}, W1 ∈ R^{n×h}, W2 ∈ R^{h×m},
// Y ∈ R^{N×m}, L = ½‖Y − XW1W2‖²_F, imbalance D = W1ᵀW1 − W2W2ᵀ, operator
// τ(G) = G W2ᵀW2 + W1W1ᵀG with eigenvalues λ_i(W1W1ᵀ) + λ_j(W2ᵀW2).
//
// Constants use the seed's names (eq. 23): c1 α0 ≤ λ_min(τ_t) ≤ λ_max(τ_t) ≤ c2 β0 with
// 0 < c1 < 1 < c2 (the authors' code calls them the other way round, MATH.md §7).
// The slide uses α0, β0, p1, p2 without defining them; the definitions below are the paper's
// (docs/theory.md §3 derives them and checks the scalar case against slide eq. (8)).
#include <algorithm>
#include <utility>

#include "gradflow/core/types.hpp"

namespace gradflow {

struct XuConstants {
  double c1 = 0.5;  ///< 0 < c1 < 1, multiplies α0
  double c2 = 1.5;  ///< c2 > 1, multiplies β0
  void validate() const;  ///< throws input_error unless 0 < c1 < 1 < c2
};

/// Everything the bounds need from (X, Y, W1(0), W2(0)).
struct XuInitial {
  Index N = 0, n = 0, h = 0, m = 0;
  Index rank = 0;          ///< r = rank(X) (numerical, tolerance max(N,n)·eps·σ_max)
  double sigma_min = 0.0;  ///< σ_min(X): smallest of the min(N, n) singular values
  double sigma_max = 0.0;  ///< σ_max(X)
  double kappa = 0.0;      ///< κ = λ_max(XXᵀ)/λ_min(XXᵀ) = (σ_max/σ_min)²  (slide "Notation")
  double sigma_min_y = 0.0;  ///< smallest of the min(N, m) singular values of Y
  double loss0 = 0.0;      ///< L(0) = ½‖Y − XW1(0)W2(0)‖²_F
  /// p1 ≤ σ_min(W(t)) ≤ σ_max(W(t)) ≤ p2 while L(t) ≤ L(0) (slide, "Towards linear convergence"):
  ///   p2 = (‖Y‖_F + √(2L(0)))/σ_min(X),  p1 = [σ_min(Y) − √(2L(0))]_+ / σ_max(X)
  /// (p1 is the bound on σ_k(W) for k = min(n, m); for k > min(N, m) the bound is 0).
  double p1 = 0.0;
  double p2 = 0.0;
  /// β0 = β(D(0), p2) = ½(d₊ + √(d₊² + 4p2²)) + ½(d₋ + √(d₋² + 4p2²)),
  /// d₊ = [λ_max(D)]₊, d₋ = [λ_max(−D)]₊.
  double beta0 = 0.0;
  /// α0 = α(D(0), p1): with λ_k the eigenvalues of D and μ_k those of −D, both descending,
  ///   δ1 = [λ_1]₊ − [λ_r]₊,  δ2 = [μ_1]₊ − [μ_m]₊,  δ3 = [λ_r]₊ + [μ_m]₊,
  ///   α0 = ½(−δ1 + √((δ1+δ3)² + 4 p1(m)²)) + ½(−δ2 + √((δ2+δ3)² + 4 p1(r)²)),
  /// p1(k) the lower bound on σ_k(W). Scalar case: α0 = √(d² + 4p1²) (slide eq. 8).
  double alpha0 = 0.0;
  Vec imbalance_eigenvalues;  ///< of D(0), descending
};

/// Needs h ≥ max(rank(X), m) (over-parametrisation) and matching sizes; throws input_error.
XuInitial xu_initial(const Mat& X, const Mat& Y, const Mat& W1, const Mat& W2);

/// D = W1ᵀW1 − W2W2ᵀ (h×h).
Mat linear2_imbalance(const Mat& W1, const Mat& W2);

/// {λ_min(τ), λ_max(τ)} = {λ_n(W1W1ᵀ) + λ_m(W2ᵀW2), λ_1(W1W1ᵀ) + λ_1(W2ᵀW2)} on n×m matrices.
std::pair<double, double> tau_spectrum_bounds(const Mat& W1, const Mat& W2);

/// The fixed step of the slide's init table (issue 16): near W(0) GD moves W = W1W2 by
/// W⁺ ≈ W − η τ_0(Xᵀ(XW − Y)) (slide eq. 16 without its η² term), so the error W − W* contracts
/// by I − η τ_0∘XᵀX, whose eigenvalues lie in [μ α0, K β0] with K = σ²_max(X), μ = σ²_min(X),
/// α0 = λ_min(τ_0), β0 = λ_max(τ_0) (a product of two PSD operators). The step minimising
/// the worst contraction over that interval is η = 2/(K β0 + μ α0), contraction
/// (Kβ0 − μα0)/(Kβ0 + μα0). One layer (τ = identity, α0 = β0 = 1): 2/(K + μ), eq. (21)'s
/// minimax step (eq. 21's own minimiser is 1/K).
struct XuSpectralStep {
  double K = 0.0, mu = 0.0;          ///< σ²_max(X), σ²_min(X)
  double tau_min = 1.0, tau_max = 1.0;  ///< α0, β0 (1 for one layer)
  double eta = 0.0;                  ///< 2/(K β0 + μ α0)
  double contraction = 0.0;          ///< (K β0 − μ α0)/(K β0 + μ α0), per step on ‖W − W*‖
};
/// For linear2 (W1 n×h, W2 h×m); throws input_error when σ_min(X) = 0 or the sizes differ.
XuSpectralStep xu_spectral_step(const Mat& X, const Mat& W1, const Mat& W2);
/// For the one-layer model (τ = identity).
XuSpectralStep xu_spectral_step(const Mat& X);

/// f(η) = 1 − a1η + a2η² + a3η³ + a4η⁴ (slide eqs. 26, 29, 30).
struct RatePolynomial {
  double a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0;

  double operator()(double eta) const { return 1.0 + eta * (-a1 + eta * (a2 + eta * (a3 + eta * a4))); }
  double derivative(double eta) const { return -a1 + eta * (2.0 * a2 + eta * (3.0 * a3 + eta * 4.0 * a4)); }
  /// argmin_{η>0} f: f is convex on η ≥ 0 (a2, a3, a4 ≥ 0), so this is the unique positive root
  /// of f'(η) = −a1 + 2a2η + 3a3η² + 4a4η³. +∞ if a2 = a3 = a4 = 0.
  double argmin() const;
};

/// Slide eqs. (26)/(30), seed's names:
///   a1    = 2 (c1 α0) σ_min²(X)
///   a2(t) = 2√(2κ L(t) σ_min⁶(X)) p2 + κ σ_min⁴(X) (c2 β0)²
///   a3(t) = 2√(2κ³ L(t) σ_min¹⁰(X)) c2 β0 p2
///   a4(t) = 2κ² σ_min⁶(X) p2² L(t)
/// with κ = (σ_max/σ_min)²; only L(t) depends on t.
RatePolynomial xu_rate_polynomial(double sigma_min, double sigma_max, double loss, double alpha0, double beta0,
                                  double p2, const XuConstants& c);

/// The unique positive root of k3η³ + k2η² + k1η = k0 (k0 > 0, k1, k2, k3 ≥ 0, not all 0).
double positive_cubic_root(double k3, double k2, double k1, double k0);

class XuRate {
 public:
  explicit XuRate(XuInitial initial, XuConstants constants = {});
  XuRate(const Mat& X, const Mat& Y, const Mat& W1, const Mat& W2, XuConstants constants = {});

  const XuInitial& initial() const { return init_; }
  const XuConstants& constants() const { return c_; }

  /// f(·, t) for a loss value L(t) (eq. 29).
  RatePolynomial f(double loss_t) const;
  /// ρ(η) = f(η, 0): the rate of the whole run for a fixed step (eqs. 27–28).
  RatePolynomial rho() const { return f(init_.loss0); }

  /// Eq. (24): η1 solves a4(0)η³ + a3(0)η² + (a2(0) + 4c2L(0)σ_max²/(c2 − 1))η = a1,
  /// η2 solves a4(0)η³ + a3(0)η² + (a2(0) + 8c2β0L(0)σ_max²/((1 − c1)α0))η = a1.
  double eta_max_1() const;
  double eta_max_2() const;
  double eta_max() const { return std::min(eta_max_1(), eta_max_2()); }

  /// η* = argmin_{0<η≤η_max} f(η, 0) = min(argmin f(·, 0), η_max) (f is convex): the best
  /// fixed step the theorem covers; rate() = f(η*, 0) < 1.
  double eta_star() const { return adaptive_step(init_.loss0); }
  double rate() const { return rho()(eta_star()); }

  /// η*_t = argmin_η f(η, t) given L(t), unconstrained as the slide writes it.
  double argmin_step(double loss_t) const { return f(loss_t).argmin(); }
  /// η*_t restricted to (0, η_max], where the theorem's descent guarantee holds
  /// (the authors' experiments use this one).
  double adaptive_step(double loss_t) const { return std::min(argmin_step(loss_t), eta_max()); }

  /// min_η f(η, ∞) = 1 − a1²/(4a2(∞)) = 1 − (c1α0)²/(κ(c2β0)²) (eqs. 32–33; the slide's
  /// 1 − α²c2²/(κβ²c1²) has c1 and c2 in the authors' swapped naming).
  double asymptotic_rate() const;

 private:
  XuInitial init_;
  XuConstants c_;
};

}  // namespace gradflow
