#pragma once
// What the switching integrators share: regula falsi on a step's dense output, the Hermite
// cubic of z through z and ż at a step's two ends (crossings inside a step), the box QP that
// decides the sliding modes at an event, and the per-pair record of crossings.
// (Internal to lib/src/integrate.)
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "gradflow/core/types.hpp"
#include "gradflow/integrate/switching.hpp"

namespace gradflow::detail {

/// Illinois regula falsi on a bracket with g(a) ≥ 0 > g(b): the right end of the final bracket
/// (where the event has happened), once it is shorter than tol.
template <class G>
double illinois(G&& g, double a, double ga, double b, double gb, double tol) {
  int side = 0;
  for (int k = 0; k < 100 && b - a > tol; ++k) {
    double c = (ga * b - gb * a) / (ga - gb);
    if (!(c > a && c < b)) c = 0.5 * (a + b);
    const double gc = g(c);
    if (gc < 0) {
      b = c;
      gb = gc;
      if (side == -1) ga *= 0.5;
      side = -1;
    } else {
      a = c;
      ga = gc;
      if (side == 1) gb *= 0.5;
      side = 1;
    }
  }
  return b;
}

/// The Hermite cubic through p(0) = h0, p'(0) = D0, p(1) = h1, p'(1) = D1 (s ∈ [0, 1]).
struct Hermite {
  double h0, D0, h1, D1;
  double operator()(double s) const {
    const double s2 = s * s, s3 = s2 * s;
    return (2 * s3 - 3 * s2 + 1) * h0 + (s3 - 2 * s2 + s) * D0 + (-2 * s3 + 3 * s2) * h1 + (s3 - s2) * D1;
  }
  double slope(double s) const {
    const double s2 = s * s;
    return (6 * s2 - 6 * s) * (h0 - h1) + (3 * s2 - 4 * s + 1) * D0 + (3 * s2 - 2 * s) * D1;
  }
  /// The roots of p' inside (0, 1), ascending; returns how many (at most 2).
  int critical_points(double s[2]) const {
    const double a = 6 * (h0 - h1) + 3 * (D0 + D1), b = -6 * (h0 - h1) - 4 * D0 - 2 * D1, c = D0;
    int k = 0;
    auto add = [&](double x) {
      if (x > 0.0 && x < 1.0 && k < 2) s[k++] = x;
    };
    if (std::abs(a) > 1e-14 * (std::abs(b) + std::abs(c))) {
      const double disc = b * b - 4 * a * c;
      if (disc > 0) {
        const double q = -0.5 * (b + std::copysign(std::sqrt(disc), b));
        add(q / a);
        if (q != 0.0) add(c / q);
      }
    } else if (b != 0.0) {
      add(-c / b);
    }
    if (k == 2 && s[0] > s[1]) std::swap(s[0], s[1]);
    return k;
  }
  /// The smallest value of p on [0, 1]: at an end or at a critical point.
  double min_value() const {
    double s[2];
    const int k = critical_points(s);
    double lo = std::min(h0, h1);
    for (int j = 0; j < k; ++j) lo = std::min(lo, (*this)(s[j]));
    return lo;
  }
  /// Where p changes sign (p ≥ 0 counts as the pattern's side), in order: one bisection on each
  /// monotone piece between the roots of p' that changes sign.
  void sign_changes(std::vector<double>& out) const {
    out.clear();
    double breaks[4] = {0.0, 1.0, 1.0, 1.0};
    const int nb = critical_points(breaks + 1) + 2;
    breaks[nb - 1] = 1.0;
    for (int k = 0; k + 1 < nb; ++k) {
      double lo = breaks[k], hi = breaks[k + 1];
      const bool side_lo = (*this)(lo) >= 0, side_hi = (*this)(hi) >= 0;
      if (side_lo == side_hi) continue;
      for (int it = 0; it < 60 && hi - lo > 1e-15; ++it) {
        const double mid = 0.5 * (lo + hi);
        (((*this)(mid) >= 0) == side_lo ? lo : hi) = mid;
      }
      out.push_back(0.5 * (lo + hi));
    }
  }
};

/// Minimises ½βᵀGβ + bᵀβ over the box lo ≤ β ≤ hi (G positive definite, lo ≤ 0 ≤ hi) by a
/// primal active-set method started at the feasible point β = 0. On return state[i] is −1 when
/// β_i sits on lo_i, +1 on hi_i, 0 when free (strictly inside, up to round-off).
inline void box_qp(const Mat& G, const Vec& b, const Vec& lo, const Vec& hi, Vec& beta, std::vector<int>& state) {
  const Index k = b.size();
  beta = Vec::Zero(k);
  state.assign(static_cast<std::size_t>(k), 0);
  for (Index i = 0; i < k; ++i)
    if (!(hi(i) > lo(i))) state[i] = -1;  // a degenerate box: β_i = 0 = lo = hi
  const double scale = b.cwiseAbs().maxCoeff() + G.cwiseAbs().maxCoeff() * (hi - lo).cwiseAbs().maxCoeff();
  for (int iter = 0; iter < 20 + 10 * static_cast<int>(k); ++iter) {
    std::vector<Index> F;
    for (Index i = 0; i < k; ++i)
      if (state[i] == 0) F.push_back(i);
    if (!F.empty()) {
      const Index f = static_cast<Index>(F.size());
      Mat GF(f, f);
      Vec rhs(f);
      for (Index p = 0; p < f; ++p) {
        rhs(p) = -b(F[p]);
        for (Index q = 0; q < k; ++q)
          if (state[q] != 0) rhs(p) -= G(F[p], q) * beta(q);
        for (Index q = 0; q < f; ++q) GF(p, q) = G(F[p], F[q]);
      }
      const Vec target = GF.ldlt().solve(rhs);
      double tau = 1.0;
      Index block = -1;
      int side = 0;
      for (Index p = 0; p < f; ++p) {
        const Index i = F[p];
        const double step = target(p) - beta(i);
        if (step < 0 && beta(i) + tau * step < lo(i)) {
          tau = (lo(i) - beta(i)) / step;
          block = i;
          side = -1;
        } else if (step > 0 && beta(i) + tau * step > hi(i)) {
          tau = (hi(i) - beta(i)) / step;
          block = i;
          side = 1;
        }
      }
      tau = std::clamp(tau, 0.0, 1.0);
      for (Index p = 0; p < f; ++p) beta(F[p]) += tau * (target(p) - beta(F[p]));
      if (block >= 0) {
        state[block] = side;
        beta(block) = side < 0 ? lo(block) : hi(block);
        continue;
      }
    }
    // Optimal on the free set: a bound variable whose multiplier has the wrong sign is freed.
    const Vec q = G * beta + b;
    Index worst = -1;
    double worst_v = 1e-14 * scale;
    for (Index i = 0; i < k; ++i) {
      if (state[i] == 0 || !(hi(i) > lo(i))) continue;
      const double v = state[i] < 0 ? -q(i) : q(i);  // at lo the gradient must be ≥ 0, at hi ≤ 0
      if (v > worst_v) {
        worst_v = v;
        worst = i;
      }
    }
    if (worst < 0) return;
    state[worst] = 0;
  }
}

/// A pair's mode: on the inactive side, sliding on its surface, on the active side.
constexpr signed char kInactive = -1, kSliding = 0, kActive = 1;

/// The Filippov resolution of one unit at an event: the minimal-norm element of its Clarke
/// subdifferential over the candidates, the rows XC (its sliding samples and the pairs that
/// reached their surfaces, all at z = 0), with modes `old` and pushes u = g_r r_i, given c, the
/// gradient of the unit's other active samples. A candidate with u ≤ 0 cannot slide: it crosses
/// (a concave kink), or leaves its surface if it was sliding (counted in `repelling`). The others
/// go into the box QP min ½‖c + Σ_j β_j x_j‖² over 0 ≤ β_j ≤ u_j: a free β_j slides, β_j = 0 is
/// inactive, β_j = u_j active. Returns the candidates' new modes.
inline std::vector<signed char> resolve_unit(const Mat& XC, const std::vector<signed char>& old, const Vec& u, Vec c,
                                             long& repelling) {
  const Index k = XC.rows();
  std::vector<signed char> fresh(static_cast<std::size_t>(k));
  std::vector<Index> T;
  for (Index j = 0; j < k; ++j) {
    if (u(j) > 0) {
      T.push_back(j);
      fresh[j] = kSliding;  // decided by the QP
    } else if (old[j] != kSliding) {
      fresh[j] = static_cast<signed char>(-old[j]);
      if (fresh[j] == kActive) c += u(j) * XC.row(j).transpose();
    } else {
      ++repelling;
      fresh[j] = kInactive;
    }
  }
  if (T.empty()) return fresh;
  const Index t = static_cast<Index>(T.size());
  Mat XT(t, XC.cols());
  Vec lo = Vec::Zero(t), hi(t), beta;
  for (Index j = 0; j < t; ++j) {
    XT.row(j) = XC.row(T[j]);
    hi(j) = u(T[j]);
  }
  std::vector<int> state;
  box_qp(XT * XT.transpose(), XT * c, lo, hi, beta, state);
  for (Index j = 0; j < t; ++j) fresh[T[j]] = state[j] == 0 ? kSliding : state[j] < 0 ? kInactive : kActive;
  return fresh;
}

/// How often, and when last, each pair crossed: reversals and their intervals in the stats.
class CrossingLog {
 public:
  explicit CrossingLog(std::size_t pairs = 0) : flips_(pairs, 0), last_(pairs, 0.0) {}

  void record(std::size_t pair, double t, double reversal_window, SwitchingStats& stats) {
    ++stats.crossings;
    if (flips_[pair] > 0) {
      ++stats.reversals;
      const double gap = t - last_[pair];
      stats.min_reversal_interval = std::min(stats.min_reversal_interval, gap);
      if (gap < reversal_window) ++stats.rapid_reversals;
    }
    ++flips_[pair];
    last_[pair] = t;
    stats.max_crossings_per_pair = std::max(stats.max_crossings_per_pair, flips_[pair]);
  }

 private:
  std::vector<long> flips_;
  std::vector<double> last_;
};

}  // namespace gradflow::detail
