// Lyapunov functions and bound curves of MATH.md §4 evaluated along the exact modal solutions:
// what must decrease does, what the slides' Su energy fails to do for α > 2 is shown, and the
// bound curves sit above the true losses.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "gradflow/core/error.hpp"
#include "gradflow/core/rng.hpp"
#include "gradflow/theory/lyapunov.hpp"
#include "gradflow/theory/modal.hpp"

using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

/// Q diag(eigs) Qᵀ with a seeded random orthogonal Q.
Mat with_spectrum(const Vec& eigs, std::uint64_t seed) {
  Rng rng(seed);
  const Index n = eigs.size();
  Eigen::HouseholderQR<Mat> qr(rng.normal(n, n));
  const Mat Q = qr.householderQ() * Mat::Identity(n, n);
  return Q * eigs.asDiagonal() * Q.transpose();
}

double loss(const Vec& d) { return 0.5 * d.squaredNorm(); }

std::vector<double> grid(double t0, double t1, int k) {
  std::vector<double> ts(k + 1);
  for (int i = 0; i <= k; ++i) ts[i] = t0 + (t1 - t0) * i / k;
  return ts;
}

/// Largest increase V(t_{i+1}) − V(t_i), relative to max |V|.
double max_relative_increase(const std::vector<double>& v) {
  double scale = 0.0, inc = -1e300;
  for (double x : v) scale = std::max(scale, std::abs(x));
  for (std::size_t i = 1; i < v.size(); ++i) inc = std::max(inc, v[i] - v[i - 1]);
  return inc / scale;
}

/// Largest rise V(t_j) − min_{i<j} V(t_i), relative to max |V|.
double max_relative_rise(const std::vector<double>& v) {
  double scale = 0.0, rise = 0.0, lo = v.front();
  for (double x : v) scale = std::max(scale, std::abs(x));
  for (double x : v) lo = std::min(lo, x), rise = std::max(rise, x - lo);
  return rise / scale;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lyapunov)

BOOST_AUTO_TEST_CASE(pseudo_loss_drives_gradient_flow) {
  Vec eigs(4);
  eigs << 0.0, 0.3, 1.0, 2.5;
  const Mat H = with_spectrum(eigs, 5);
  Rng rng(1);
  const Vec d = rng.normal(4, 1);
  BOOST_TEST(std::abs(pseudo_loss(H, d) - 0.5 * d.dot(H * d)) < 1e-15);
  // −∇_Δ L̂ = −HΔ = Δ̇ of gradient flow (central differences of L̂).
  Vec g(4);
  for (Index i = 0; i < 4; ++i) {
    Vec e = Vec::Zero(4);
    e(i) = 1e-6;
    g(i) = (pseudo_loss(H, d + e) - pseudo_loss(H, d - e)) / 2e-6;
  }
  const ModalSolution sol(H);
  BOOST_TEST((-g - sol.gradient_flow(0.0, d).delta_dot).norm() < 1e-8);
  // Along GF both L̂ and L are non-increasing.
  double prev_l = 1e300, prev_lh = 1e300;
  for (double t : grid(0.0, 10.0, 500)) {
    const Vec dt = sol.gradient_flow(t, d).delta;
    BOOST_TEST(loss(dt) <= prev_l * (1 + 1e-14));
    BOOST_TEST(pseudo_loss(H, dt) <= prev_lh * (1 + 1e-14) + 1e-300);
    prev_l = loss(dt);
    prev_lh = pseudo_loss(H, dt);
  }
}

BOOST_AUTO_TEST_CASE(gradient_flow_bound_sum_and_mean) {
  // H ⪰ (λ0/2) I ⇒ ‖Δ(t)‖² ≤ e^{−λ0 t}‖Δ0‖² (sum), e^{−λ0 t/n} (mean: Δ̇ = −(1/n)HΔ).
  Vec eigs(5);
  eigs << 0.2, 0.5, 0.9, 1.4, 3.0;
  const Mat H = with_spectrum(eigs, 6);
  const double lambda0 = 2 * 0.2;
  Rng rng(2);
  const Vec d0 = rng.normal(5, 1);
  const ModalSolution sum(H), mean(H, Reduction::mean);
  for (double t : grid(0.0, 30.0, 300)) {
    BOOST_TEST(loss(sum.gradient_flow(t, d0).delta) <= gf_loss_bound(t, lambda0, loss(d0)) * (1 + 1e-12));
    BOOST_TEST(loss(mean.gradient_flow(t, d0).delta) <= gf_loss_bound(t, lambda0, loss(d0), 1.0 / 5) * (1 + 1e-12));
  }
  // The bound is tight for a Δ0 along the bottom eigenvector when H = (λ0/2) I exactly.
  const ModalSolution iso(Mat::Identity(3, 3) * 0.5 * lambda0);
  const Vec u = Vec::Ones(3);
  BOOST_TEST(std::abs(loss(iso.gradient_flow(4.0, u).delta) / gf_loss_bound(4.0, lambda0, loss(u)) - 1) < 1e-14);
}

BOOST_AUTO_TEST_CASE(siegel_energy_decreases_along_heavy_ball) {
  // a = √(2λ0) and H ⪰ (λ0/2)I: dV/dt ≤ −√(λ0/2) V (docs/theory.md §2.1), so V and e^{√(λ0/2)t}V
  // are non-increasing and L(t) ≤ (4/λ0) e^{−√(λ0/2)t} L̂(0) (Bu et al.).
  Vec eigs(5);
  eigs << 0.15, 0.4, 1.0, 2.0, 6.0;
  const Mat H = with_spectrum(eigs, 7);
  Rng rng(3);
  const Vec d0 = rng.normal(5, 1);
  const ModalSolution sol(H);
  for (const double lambda0 : {2 * 0.15, 0.15, 0.05}) {  // λ_min(H) = λ0/2 (edge case), 2·λ0/2, ...
    const double a = hbf_damping(lambda0), b = std::sqrt(lambda0 / 2);
    BOOST_TEST(std::abs(a - std::sqrt(2 * lambda0)) < 1e-15);
    const double lh0 = pseudo_loss(H, d0);
    std::vector<double> v, ve;
    for (double t : grid(0.0, 60.0, 6000)) {
      const ModalState s = sol.heavy_ball(t, a, d0);
      const double V = siegel_energy(H, s.delta, s.delta_dot, lambda0);
      BOOST_TEST(std::abs(V - siegel_energy(pseudo_loss(H, s.delta), s.delta, s.delta_dot, lambda0)) <= 1e-15 * V);
      v.push_back(V);
      ve.push_back(std::exp(b * t) * V);
      BOOST_TEST(loss(s.delta) <= hbf_loss_bound(t, lambda0, lh0) * (1 + 1e-12), "λ0 = " << lambda0 << ", t = " << t);
    }
    BOOST_TEST(max_relative_increase(v) <= 1e-13, "λ0 = " << lambda0);
    BOOST_TEST(max_relative_increase(ve) <= 1e-12, "λ0 = " << lambda0);
  }
}

BOOST_AUTO_TEST_CASE(su_energy_alpha2_decreases_along_nag) {
  // α = 2: dV/dt = −2(γ−2) t L̂ ≤ 0 for γ ≥ 2 (λ = 0 mode included: convex, not strongly).
  Vec eigs(5);
  eigs << 0.0, 0.05, 0.7, 1.5, 4.0;
  const Mat H = with_spectrum(eigs, 8);
  Rng rng(4);
  const Vec d0 = rng.normal(5, 1);
  const ModalSolution sol(H);
  for (const double gamma : {3.0, 7.0}) {
    std::vector<double> v;
    for (double t : grid(0.0, 80.0, 8000)) {
      const ModalState s = sol.nesterov(t, gamma, d0);
      const double lh = pseudo_loss(H, s.delta);
      v.push_back(su_energy(t, s.delta, s.delta_dot, lh, 2.0, gamma));
      BOOST_TEST(std::abs(su_energy_rate(t, s.delta, s.delta_dot, lh, 2.0, gamma) + 2 * (gamma - 2) * t * lh) <=
                 1e-12 * (1 + t * lh));
    }
    BOOST_TEST(max_relative_increase(v) <= 1e-13, "γ = " << gamma);
    // V(0) = ((γ−1)²/2)‖Δ0‖².
    BOOST_TEST(std::abs(v.front() - 0.5 * (gamma - 1) * (gamma - 1) * d0.squaredNorm()) < 1e-12 * v.front());
  }
  // γ = 3 is the convex energy E = t²(f − f*) + 2‖x − x* + tẋ/2‖², E(0) = 2‖x0 − x*‖², and
  // f − f* ≤ 2‖x0 − x*‖²/t² with f = L̂, x = Δ, x* = 0.
  for (double t : grid(0.0, 80.0, 800)) {
    const ModalState s = sol.nesterov(t, 3.0, d0);
    const double lh = pseudo_loss(H, s.delta);
    BOOST_TEST(std::abs(su_convex_energy(t, lh, s.delta, s.delta_dot) - su_energy(t, s.delta, s.delta_dot, lh, 2, 3)) <=
               1e-15 * (1 + lh));
    if (t > 0) BOOST_TEST(lh <= convex_nag_bound(t, d0.squaredNorm()));
  }
}

BOOST_AUTO_TEST_CASE(su_energy_rate_identity_matches_finite_differences) {
  // The dV/dt and dṼ/dt formulas of MATH.md §4 for α > 2, against central differences.
  Vec eigs(2);
  eigs << 1.0, 0.05;
  const Mat H = eigs.asDiagonal();
  const ModalSolution sol(H);
  const Vec d0 = Vec::Ones(2);
  const double alpha = 14.0 / 3, gamma = 7.0, h = 1e-5;
  for (double t : {0.5, 3.0, 11.0, 25.0, 47.0}) {
    const auto V = [&](double tt, bool corrected) {
      const ModalState s = sol.nesterov(tt, gamma, d0);
      const double lh = pseudo_loss(H, s.delta);
      return corrected ? su_energy_corrected(tt, s.delta, s.delta_dot, lh, alpha, gamma)
                       : su_energy(tt, s.delta, s.delta_dot, lh, alpha, gamma);
    };
    const ModalState s = sol.nesterov(t, gamma, d0);
    const double lh = pseudo_loss(H, s.delta);
    const double fd = (V(t + h, false) - V(t - h, false)) / (2 * h);
    const double fdc = (V(t + h, true) - V(t - h, true)) / (2 * h);
    const double rate = su_energy_rate(t, s.delta, s.delta_dot, lh, alpha, gamma);
    const double ratec = su_energy_corrected_rate(t, s.delta, lh, alpha, gamma);
    BOOST_TEST(std::abs(fd - rate) <= 1e-6 * std::max(1.0, std::abs(V(t, false)) / t), "t = " << t);
    BOOST_TEST(std::abs(fdc - ratec) <= 1e-6 * std::max(1.0, std::abs(V(t, true)) / t), "t = " << t);
  }
}

BOOST_AUTO_TEST_CASE(su_energy_alpha_above_two_grows_but_corrected_does_not) {
  // γ = 7, α = 14/3 = 2γ/3, H = diag(1, 0.05): V increases somewhere on (0, 60]; Ṽ does not
  // increase on [t*, ∞), t* = √(c(α−2)(γ−α+1)/(4μ(γ−α))) = √((28/3)(8/3)(10/3)/(4·0.05·7/3)) = 40/3.
  const double alpha = 14.0 / 3, gamma = 7.0, mu = 0.05;
  const double ts = su_t_star(alpha, gamma, mu);
  BOOST_TEST(std::abs(ts - 40.0 / 3) < 1e-12);
  Mat H = Mat::Zero(2, 2);
  H(0, 0) = 1.0;
  H(1, 1) = mu;
  const ModalSolution sol(H);
  Vec d0(2);
  d0 << 1.0, 1.0;
  std::vector<double> v, vt_after;
  for (double t : grid(1e-3, 60.0, 6000)) {
    const ModalState s = sol.nesterov(t, gamma, d0);
    v.push_back(su_energy(t, s.delta, s.delta_dot, pseudo_loss(H, s.delta), alpha, gamma));
  }
  BOOST_TEST(max_relative_rise(v) > 1e-2, "Su's V with α > 2 should grow somewhere");
  BOOST_TEST_MESSAGE("Su's V (α = 14/3) on (0, 60]: relative rise " << max_relative_rise(v) << ", V(60)/V(0+) = "
                                                                    << v.back() / v.front());
  // Past t* the plain V still rises on some steps (it oscillates with the slow mode), Ṽ never does.
  int v_rises = 0;
  double v_prev = 0.0;
  for (double t : grid(ts, 300.0, 20000)) {
    const ModalState s = sol.nesterov(t, gamma, d0);
    const double lh = pseudo_loss(H, s.delta);
    vt_after.push_back(su_energy_corrected(t, s.delta, s.delta_dot, lh, alpha, gamma));
    BOOST_TEST(su_energy_corrected_rate(t, s.delta, lh, alpha, gamma) <= 0.0, "t = " << t);
    const double V = su_energy(t, s.delta, s.delta_dot, lh, alpha, gamma);
    if (t > ts && V > v_prev * (1 + 1e-8)) ++v_rises;
    v_prev = V;
  }
  BOOST_TEST(max_relative_increase(vt_after) <= 1e-12);
  BOOST_TEST(v_rises > 100, "V rose on " << v_rises << " of 20000 steps in [t*, 300]");
}

BOOST_AUTO_TEST_CASE(nag_bounds_hold_along_exact_solutions) {
  // α > 2: L(t) ≤ A t^{−α} L̂(0) with A from docs/theory.md §2.4; α = 2: L(t) ≤ ((γ−1)²/μ) t^{−2} L(0).
  Mat H = Mat::Zero(2, 2);
  H(0, 0) = 1.0;
  H(1, 1) = 0.05;
  const ModalSolution sol(H);
  const Vec d0 = Vec::Ones(2);
  const NagBound b = nag_loss_bound(14.0 / 3, 7.0, 0.05);
  BOOST_TEST(b.in_pseudo_loss);
  BOOST_TEST(std::abs(b.t_star - 40.0 / 3) < 1e-12);
  BOOST_TEST(b.t_start >= b.t_star);
  const NagBound b2 = nag_loss_bound(2.0, 7.0, 0.05);
  BOOST_TEST(!b2.in_pseudo_loss);
  BOOST_TEST(std::abs(b2.constant - 36.0 / 0.05) < 1e-12);
  const double l0 = loss(d0), lh0 = pseudo_loss(H, d0);
  double tightest = 1e300;
  for (double t : grid(0.01, 400.0, 40000)) {
    const double l = loss(sol.nesterov(t, 7.0, d0).delta);
    BOOST_TEST(l <= b(t, l0, lh0), "t = " << t);
    BOOST_TEST(l <= b2(t, l0, lh0), "t = " << t);
    tightest = std::min(tightest, b(t, l0, lh0) / l);
  }
  BOOST_TEST_MESSAGE("NAG bound (α = 14/3): min over t of bound/L = " << tightest);
  // Random 4×4 H with μ = λ_min(H), γ = 9, α = 5.
  Vec eigs(4);
  eigs << 0.3, 0.6, 1.1, 2.0;
  const Mat H4 = with_spectrum(eigs, 9);
  const ModalSolution s4(H4);
  Rng rng(5);
  const Vec e0 = rng.normal(4, 1);
  const NagBound b4 = nag_loss_bound(5.0, 9.0, 0.3);
  for (double t : grid(0.01, 200.0, 20000))
    BOOST_TEST(loss(s4.nesterov(t, 9.0, e0).delta) <= b4(t, loss(e0), pseudo_loss(H4, e0)));
  BOOST_CHECK_THROW(nag_loss_bound(5.0, 4.0, 0.3), input_error);
  BOOST_CHECK_THROW(nag_loss_bound(1.5, 4.0, 0.3), input_error);
  BOOST_CHECK_THROW(nag_loss_bound(3.0, 4.0, 0.0), input_error);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
