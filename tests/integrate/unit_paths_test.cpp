// The pieces of auto's first-order scheme (lib/src/integrate/unit_paths.hpp): the root search on
// polynomials (dips inside a piece included), the residual's quartic, and one unit's Filippov
// path along a given residual against closed forms (a transversal crossing, an onset of sliding).
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "gradflow/core/types.hpp"
#include "integrate/unit_paths.hpp"

using namespace gradflow;
using namespace gradflow::detail;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

Poly poly(std::initializer_list<double> c) {
  Poly p;
  int k = 0;
  for (const double v : c) p.c[k++] = v;
  return p;
}

/// One unit (m = 1), d = 2, over a step [0, 1] with a constant residual r and gain 1: the
/// pattern-fixed path (both samples active) is w(t) = w0 − t (r1 x1 + r2 x2), so the Hermite
/// cubics of z are exact.
struct OneUnit {
  Mat X{2, 2};
  Vec xnorm, w0{2}, r{2};
  Mat Z0, Zd0, Z1, Zd1;
  StepShared S;
  Slide none;
  signed char modes[2] = {1, 1};

  OneUnit(double phi, const Vec& w_start, const Vec& residual) : w0(w_start), r(residual) {
    X << 1, 0, std::cos(phi), std::sin(phi);
    xnorm = X.rowwise().norm();
    const Vec wdot = -(X.transpose() * r);
    const Vec w1 = w0 + wdot;
    Z0 = X * w0;
    Z1 = X * w1;
    Zd0 = X * wdot;
    Zd1 = Zd0;
    S.X = &X;
    S.xnorm = &xnorm;
    S.t0 = 0.0;
    S.h = 1.0;
    S.Z0 = &Z0;
    S.Zd0 = &Zd0;
    S.Z1 = &Z1;
    S.Zd1 = &Zd1;
    S.set_residual(r, Vec::Zero(2), r, r, Vec::Zero(2));
    S.g0 = S.g1 = Vec::Ones(1);
    S.wnorm = Vec::Constant(1, w1.norm());
    none.build(X);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(unit_paths)

BOOST_AUTO_TEST_CASE(first_below_finds_the_first_root_and_dips) {
  // (s − 0.3)(s − 0.7): below 0 on (0.3, 0.7).
  const Poly p = poly({0.21, -1.0, 1.0});
  auto s = first_below(p, 0.0, 1.0, 0.0);
  BOOST_REQUIRE(s);
  BOOST_TEST(std::abs(*s - 0.3) < 1e-12);
  BOOST_TEST(p(*s) < 0);  // the right end of the bracket: it has happened there
  // Already below at the start: the start itself.
  s = first_below(p, 0.5, 1.0, 0.0);
  BOOST_REQUIRE(s);
  BOOST_TEST(*s == 0.5);
  // Within the hysteresis: nothing.
  BOOST_TEST(!first_below(p, 0.0, 1.0, 0.05));
  // A dip of width 2e-3 inside one of the 16 pieces, (s − 0.51)² − 1e-6: both ends above.
  const Poly dip = poly({0.51 * 0.51 - 1e-6, -1.02, 1.0});
  s = first_below(dip, 0.0, 1.0, 0.0);
  BOOST_REQUIRE(s);
  BOOST_TEST(std::abs(*s - 0.509) < 1e-12);
  // The same parabola lifted above 0 has no root; and the search stops at b.
  BOOST_TEST(!first_below(poly({0.51 * 0.51 + 1e-6, -1.02, 1.0}), 0.0, 1.0, 0.0));
  BOOST_TEST(!first_below(p, 0.0, 0.29, 0.0));
}

BOOST_AUTO_TEST_CASE(polynomials_multiply_and_integrate) {
  const Poly a = poly({1.0, 2.0}), b = poly({-1.0, 0.0, 3.0});  // (1 + 2s)(−1 + 3s²)
  const Poly ab = a * b;
  for (const double s : {0.0, 0.3, 1.0}) BOOST_TEST(std::abs(ab(s) - a(s) * b(s)) < 1e-15);
  // ∫_0.2^0.9 (−1 − 2s + 3s² + 6s³) ds
  auto F = [](double s) { return -s - s * s + s * s * s + 1.5 * s * s * s * s; };
  BOOST_TEST(std::abs(ab.integral(0.2, 0.9) - (F(0.9) - F(0.2))) < 1e-15);
  BOOST_TEST(std::abs(ab.slope(0.4) - (-2.0 + 6 * 0.4 + 18 * 0.16)) < 1e-14);
}

// The quartic through r(0), r'(0), r(1/2), r(1), r'(1) reproduces any quartic, and its integrals
// EI = ∫_0^s r and EI1 = ∫_0^s σ r(σ) dσ are exact.
BOOST_AUTO_TEST_CASE(the_residual_quartic_is_exact_for_quartics) {
  const double h = 0.7;
  auto r = [](double s) { return 0.3 - 1.2 * s + 0.5 * s * s + 2.0 * s * s * s - 0.9 * s * s * s * s; };
  auto dr = [](double s) { return -1.2 + s + 6.0 * s * s - 3.6 * s * s * s; };  // d/ds
  StepShared S;
  S.h = h;
  auto one = [](double v) { return Vec::Constant(1, v); };
  S.set_residual(one(r(0)), one(dr(0) / h), one(r(0.5)), one(r(1)), one(dr(1) / h));  // rates in t
  const double want[5] = {0.3, -1.2, 0.5, 2.0, -0.9};
  for (int k = 0; k < 5; ++k) BOOST_TEST(std::abs(S.E(0, k) - want[k]) < 1e-13);
  S.g0 = S.g1 = Vec::Constant(1, 2.0);
  const Poly Q = S.push_integral(0, 0), q = S.push(0, 0);
  // Q = h ∫_0^s 2 r, q = 2 r.
  BOOST_TEST(std::abs(Q(0.8) - h * 2.0 * (0.3 * 0.8 - 0.6 * 0.64 + 0.5 / 3 * 0.512 + 0.5 * 0.4096 - 0.18 * 0.32768)) < 1e-13);
  BOOST_TEST(std::abs(q(0.8) - 2.0 * r(0.8)) < 1e-13);
}

// Pair 1 crosses transversally: active rate −(1 + cos φ), inactive rate −cos φ (both < 0).
// With w0 = (0.5, 2), r = (1, 1): z1 = 0.5 − 1.5 t reaches 0 at t = 1/3, and from there w moves
// by −x2 only, so w(1) = w0 − x1/3 − x2 against the pattern-fixed w0 − x1 − x2: δw(1) = (2/3) x1.
BOOST_AUTO_TEST_CASE(a_transversal_crossing_matches_its_closed_form) {
  Vec w0(2), r(2);
  w0 << 0.5, 2.0;
  r << 1.0, 1.0;
  OneUnit u(M_PI / 3, w0, r);
  const UnitPath path = trace_unit(u.S, 0, u.modes, u.none);
  BOOST_REQUIRE(path.switches.size() == 1u);
  BOOST_TEST(path.switches[0].i == 0);
  BOOST_TEST(path.switches[0].to == -1);
  BOOST_TEST(std::abs(path.switches[0].s - 1.0 / 3) < 1e-11);  // found ε = 1e-12 ‖x‖‖w‖ past the surface
  BOOST_TEST(path.end == 1.0);
  UnitContribution c;
  path.contribution(u.S, 1.0, c);
  BOOST_TEST(std::abs(c.dw(0) - 2.0 / 3) < 1e-12);
  BOOST_TEST(std::abs(c.dw(1)) < 1e-12);
  // ∫_0^1 δw = x1 ∫_{1/3}^1 (t − 1/3) dt = (2/9) x1. Pair 1 is inactive from 1/3 on, with true
  // z = −cos φ (t − 1/3): beyond A x1ᵀV, its activation changes by −z, ∫ = (1/2)(2/3)²/2 = 1/9.
  BOOST_TEST(std::abs(c.V(0) - 2.0 / 9) < 1e-12);
  BOOST_TEST(std::abs(c.V(1)) < 1e-12);
  BOOST_REQUIRE(c.rho.size() == 1u);
  BOOST_TEST(c.rho[0].first == 0);
  BOOST_TEST(std::abs(c.rho[0].second - 1.0 / 9) < 1e-12);
}

// Pair 1 reaches its surface where both sides push into it: r = (1, −1/2), φ = π/3. Active rate
// of z1: −1 + cos φ / 2 < 0; inactive rate cos φ / 2 > 0: it slides from t1 = 0.5 / 0.75 = 2/3,
// with w1 = 0 and ẇ2 = sin φ / 2 (the field projected off x1). So w(1) = (0, w0₂ + sin φ / 2)
// against the pattern-fixed (0.5 − 0.75, w0₂ + sin φ / 2): δw(1) = (0.25, 0).
BOOST_AUTO_TEST_CASE(an_onset_of_sliding_matches_its_closed_form) {
  Vec w0(2), r(2);
  w0 << 0.5, 0.3;
  r << 1.0, -0.5;
  OneUnit u(M_PI / 3, w0, r);
  const UnitPath path = trace_unit(u.S, 0, u.modes, u.none);
  BOOST_REQUIRE(path.switches.size() == 1u);
  BOOST_TEST(path.switches[0].i == 0);
  BOOST_TEST(path.switches[0].to == 0);  // sliding
  BOOST_TEST(std::abs(path.switches[0].s - 2.0 / 3) < 1e-11);
  UnitContribution c;
  path.contribution(u.S, 1.0, c);
  BOOST_TEST(std::abs(c.dw(0) - 0.25) < 1e-12);
  BOOST_TEST(std::abs(c.dw(1)) < 1e-12);
  // δw = (0.75 t − 0.5, 0) from 2/3 on: ∫ = 0.75/2 (1/3)² = 1/24. The sliding pair's own
  // activation is 0 = its true z, so it adds nothing beyond A x1ᵀV.
  BOOST_TEST(std::abs(c.V(0) - 1.0 / 24) < 1e-12);
  for (const auto& [i, v] : c.rho) BOOST_TEST(std::abs(v) < 1e-12);
  // The piece after the onset slides on x1: its basis spans x1.
  const UnitPiece& last = path.piece_at(0.9);
  BOOST_REQUIRE(last.Q.rows() == 1);
  BOOST_TEST(std::abs(std::abs(last.Q(0, 0)) - 1.0) < 1e-12);
  // Halfway through, before the onset, nothing has changed.
  path.contribution(u.S, 0.5, c);
  BOOST_TEST(c.dw.norm() < 1e-15);
  BOOST_TEST(path.unchanged_by(0.5));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
