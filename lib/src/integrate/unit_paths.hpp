#pragma once
// auto, first order (docs/switching.md, "How auto works"): the units whose pairs change inside
// an accepted step are integrated alone across it, each exactly for its own switching.
//
// Given the residual r(t) along the step, unit r's gradient flow is a small Filippov problem of
// its own: ẇ_r = −(I − Π_S) g_r Σ_{i active} r_i(t) x_i, with Π_S the projector onto its sliding
// samples. With r(t) a polynomial in the step's position s (the pattern-fixed step's residual,
// interpolated), the unit's path is a polynomial between its own events (crossings, onsets and
// ends of sliding), which are found as roots and resolved by the box QP of the exact scheme.
// The path is kept as its deviation δw_r(s) from the pattern-fixed path, and the residual change
// ρ_ir that it causes; the step's correction sums them and adds their feedback through the
// residual (switching.cpp). (Internal to lib/src/integrate.)
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "gradflow/core/types.hpp"

namespace gradflow::detail {

/// A polynomial in s ∈ [0, 1], the position inside a step, by its monomial coefficients.
struct Poly {
  static constexpr int N = 12;
  std::array<double, N> c{};
  double operator()(double s) const {
    double v = 0.0;
    for (int k = N - 1; k >= 0; --k) v = v * s + c[k];
    return v;
  }
  double slope(double s) const {
    double v = 0.0;
    for (int k = N - 1; k >= 1; --k) v = v * s + k * c[k];
    return v;
  }
  /// ∫_a^b p(s) ds.
  double integral(double a, double b) const {
    double A = 0.0, B = 0.0;
    for (int k = N - 1; k >= 0; --k) {
      A = A * a + c[k] / (k + 1);
      B = B * b + c[k] / (k + 1);
    }
    return B * b - A * a;
  }
};

/// The product of two polynomials whose degrees add up to less than Poly::N.
Poly operator*(const Poly& a, const Poly& b);

/// The first s in (a, b] where p(s) < −eps (a itself when p(a) < −eps already), to about 1e-14:
/// the right end of the final bracket, where it has happened. Nothing when p stays ≥ −eps.
/// The interval is scanned in 16 pieces, each with a test for a dip between its ends.
std::optional<double> first_below(const Poly& p, double a, double b, double eps);

/// The samples of one unit that slide on their surfaces x_iᵀw_r = 0.
struct Slide {
  std::vector<Index> samples;
  Mat XS;  ///< k×d, the rows x_i
  Mat Q;   ///< k×d, orthonormal rows spanning the same space
  Eigen::LDLT<Mat> gram{Mat(0, 0)};  ///< of XS XSᵀ (computed even when empty, so that copies are defined)
  /// Rebuilds the rows, basis and Gram matrix from `samples`.
  void build(const Mat& X);
};

/// What the units' paths in one step [t0, t0 + h] share.
struct StepShared {
  const Mat* X = nullptr;      ///< n×d, the units' inputs
  const Vec* xnorm = nullptr;  ///< ‖x_i‖
  double t0 = 0.0, h = 1.0;
  /// z and ż at both ends of the pattern-fixed step (n×m): each pair's base path is their Hermite cubic.
  const Mat *Z0 = nullptr, *Zd0 = nullptr, *Z1 = nullptr, *Zd1 = nullptr;
  Mat E;    ///< n×5: the residual r_i(s) = Σ_k E(i, k) s^k along the step
  Mat EI;   ///< n×6: ∫_0^s r_i
  Mat EI1;  ///< n×7: ∫_0^s σ r_i(σ) dσ
  Vec g0, g1;     ///< the units' gains at both ends (linear in between)
  Vec wnorm;      ///< ‖w_r‖ at the end, for the hysteresis ε of a pair
  double z_tol = 1e-12, alpha_tol = 1e-10;
  int max_events = 64;  ///< per unit and step; more cut the step there
  bool gains_trained = false;  ///< the gains are parameters (two_layer's outer layer): the paths move them too

  /// Fills E, EI and EI1 from the residual and its rate at both ends and the residual at the middle.
  void set_residual(const Vec& r0, const Vec& rdot0, const Vec& rmid, const Vec& r1, const Vec& rdot1);
  double gain(Index r, double s) const { return g0(r) + s * (g1(r) - g0(r)); }
  /// q_i(s) = g_r(s) r_i(s), the push of pair (i, r), and Q_i(s) = h ∫_0^s q_i.
  Poly push(Index i, Index r) const;
  Poly push_integral(Index i, Index r) const;
  /// The pattern-fixed path's z_ir: the Hermite cubic through z and ż at both ends.
  Poly base(Index i, Index r) const;
};

/// A change of one pair's mode inside the step (−1 inactive, 0 sliding, +1 active).
struct UnitSwitch {
  Index i = 0;
  double s = 0.0;
  signed char from = 0, to = 0;
};

/// A piece [a, b] of a unit's path between two of its events.
struct UnitPiece {
  double a = 0.0, b = 1.0;
  Mat D;  ///< d×7: δw(s) = Σ_k D(:, k) s^k, the deviation from the pattern-fixed path
  /// The samples whose activity differs from the step's pattern: +1 active now, −1 no longer.
  std::vector<std::pair<Index, signed char>> differ;
  Mat Q;  ///< orthonormal rows spanning the unit's sliding samples on the piece
  bool sliding_changed = false;  ///< the sliding set differs from the step's
};

/// What a unit's path adds to the step's state at s_e. The change of σ(z_ir) against the
/// pattern-fixed path, ρ_ir = A_ir x_iᵀδw_r + (activity now − A_ir) z_ir, integrates to
/// ∫_0^{s_e} ρ_ir ds = A_ir x_iᵀV + rho_i, V = ∫_0^{s_e} δw_r ds, with rho on the samples whose
/// activity changed (the caller forms X V for all units at once).
struct UnitContribution {
  Vec dw;  ///< δw_r(s_e)
  Vec V;   ///< ∫_0^{s_e} δw_r ds
  std::vector<std::pair<Index, double>> rho;
  double outer = 0.0;  ///< −h ∫_0^{s_e} Σ_i r_i ρ_ir ds: the weight of ∇g_r in the change of θ (gains_trained)
};

/// A pair's base path from s on, in place of the Hermite cubic: the pattern-fixed path of the
/// unit's own field along the interpolated residual. After a pair's first event its rate is set
/// by exactly that field (a sliding pair's is cancelled by it), so its z keeps the sign the
/// resolution gave it even where that rate is near 0.
struct Rebase {
  Index i = 0;
  double s = 0.0;
  Poly z;
};

/// One unit's path across the step.
struct UnitPath {
  Index r = 0;
  std::vector<UnitPiece> pieces;
  std::vector<UnitSwitch> switches;  ///< in time order
  std::vector<Rebase> rebased;       ///< pairs resolved at an event: their base from then on
  Mat bP;  ///< d×5: Σ_{P active} r_i(s) x_i, for the change of a trained gain
  double end = 1.0;  ///< < 1: stopped at its max_events-th event; the step is cut there
  long bounces = 0, repelling = 0;

  /// Nothing has changed on the unit by s: its contribution there is 0.
  bool unchanged_by(double s) const { return pieces.size() == 1 || s <= pieces.front().b; }
  /// The piece that holds s (the later one at a boundary).
  const UnitPiece& piece_at(double s) const;
  /// The base path of pair (i, r) on the piece that starts at s.
  Poly base(const StepShared& S, Index i, double s) const;
  /// Mode of sample i at s, from the step's pattern `modes` (the unit's column).
  signed char mode_at(Index i, double s, const signed char* modes) const;
  void contribution(const StepShared& S, double se, UnitContribution& out) const;
};

/// Integrates unit r alone across the step, from the step's pattern `modes` (its column, n
/// entries) and sliding set `slide`.
UnitPath trace_unit(const StepShared& S, Index r, const signed char* modes, const Slide& slide);

}  // namespace gradflow::detail
