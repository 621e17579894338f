// Closed forms of MATH.md §5 against tight Boost.Odeint integrations of the same ODEs, finite-
// difference ODE residuals, Bessel identities and the special λ = 0 / a² = 4λ cases.
#include <boost/test/unit_test.hpp>

#include <boost/math/special_functions/bessel.hpp>
#include <boost/numeric/odeint.hpp>
#include <unsupported/Eigen/MatrixFunctions>

#include <cmath>
#include <functional>
#include <vector>

#include "gradflow/core/rng.hpp"
#include "gradflow/core/error.hpp"
#include "gradflow/theory/modal.hpp"

using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

namespace odeint = boost::numeric::odeint;
using State = std::vector<double>;

/// Random symmetric PSD n×n matrix of rank r (r < n leaves λ = 0 modes).
Mat random_psd(Index n, Index r, std::uint64_t seed) {
  Rng rng(seed);
  const Mat A = rng.normal(n, r);
  return A * A.transpose() / static_cast<double>(r);
}

/// Integrates x' = rhs(x, t) from t0 to t1 with dopri5 at rtol = atol = 1e-13.
State integrate(const std::function<void(const State&, State&, double)>& rhs, State x, double t0, double t1) {
  auto stepper = odeint::make_controlled(1e-13, 1e-13, odeint::runge_kutta_dopri5<State>());
  odeint::integrate_adaptive(stepper, rhs, x, t0, t1, 1e-4);
  return x;
}

/// State layout [Δ, Δ̇] for the second-order flows.
State pack(const Vec& a, const Vec& b) {
  State s(a.size() + b.size());
  for (Index i = 0; i < a.size(); ++i) s[i] = a(i);
  for (Index i = 0; i < b.size(); ++i) s[a.size() + i] = b(i);
  return s;
}
Vec part(const State& s, Index offset, Index n) {
  Vec v(n);
  for (Index i = 0; i < n; ++i) v(i) = s[offset + i];
  return v;
}

double rel_err(const Vec& got, const Vec& want) { return (got - want).norm() / want.norm(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(modal)

BOOST_AUTO_TEST_CASE(gradient_flow_matches_odeint_sum_and_mean) {
  const Index n = 5;
  const Mat H = random_psd(n, 5, 11);
  Rng rng(2);
  const Vec d0 = rng.normal(n, 1);
  for (const Reduction red : {Reduction::sum, Reduction::mean}) {
    const ModalSolution sol(H, red);
    const double c = red == Reduction::sum ? 1.0 : 1.0 / n;
    BOOST_TEST(sol.scale() == c);
    for (const double T : {0.3, 1.0, 4.0}) {
      const State x = integrate([&](const State& s, State& ds, double) {
        const Vec d = part(s, 0, n);
        const Vec r = -c * H * d;
        for (Index i = 0; i < n; ++i) ds[i] = r(i);
      }, pack(d0, Vec()), 0.0, T);
      const ModalState st = sol.gradient_flow(T, d0);
      BOOST_TEST(rel_err(st.delta, part(x, 0, n)) < 1e-9, "T = " << T);
      BOOST_TEST(rel_err(st.delta_dot, Vec(-c * H * st.delta)) < 1e-12);
    }
  }
}

BOOST_AUTO_TEST_CASE(heavy_ball_matches_odeint_every_regime) {
  const Index n = 5;
  const Mat H = random_psd(n, 4, 12);  // rank 4: one λ = 0 mode
  const ModalSolution sol(H);
  const Vec& lam = sol.eigenvalues();
  BOOST_TEST(lam(0) < 1e-12);  // rank 4: a λ = 0 mode (up to rounding)
  Rng rng(3);
  const Vec d0 = rng.normal(n, 1), v0 = rng.normal(n, 1);
  // a spans all-under-damped, mixed, exactly critical for one mode, and all over-damped modes.
  const double a_crit = 2.0 * std::sqrt(lam(2));
  for (const double a : {0.0, 0.2, 1.0, a_crit, a_crit * (1 + 1e-12), 3.0, 2.5 * std::sqrt(lam(n - 1)) + 1.0})
    for (const double T : {0.5, 3.0, 8.0}) {
      const State x = integrate([&](const State& s, State& ds, double) {
        const Vec d = part(s, 0, n), v = part(s, n, n);
        const Vec acc = -a * v - H * d;
        for (Index i = 0; i < n; ++i) ds[i] = v(i), ds[n + i] = acc(i);
      }, pack(d0, v0), 0.0, T);
      const ModalState st = sol.heavy_ball(T, a, d0, v0);
      BOOST_TEST(rel_err(st.delta, part(x, 0, n)) < 1e-9, "a = " << a << ", T = " << T);
      BOOST_TEST(rel_err(st.delta_dot, part(x, n, n)) < 1e-9, "a = " << a << ", T = " << T);
    }
  // Δ̇(0) defaults to 0.
  BOOST_TEST(rel_err(sol.heavy_ball(2.0, 0.7, d0).delta, sol.heavy_ball(2.0, 0.7, d0, Vec::Zero(n)).delta) < 1e-15);
}

BOOST_AUTO_TEST_CASE(heavy_ball_mode_residual_in_each_regime) {
  // z̈ + a ż + λz = 0 by central differences of ż (error ~h²·z''' ~ 1e-9); ż by differences of z.
  const double lambda = 1.7, h = 1e-4;
  const double ac = 2.0 * std::sqrt(lambda);
  for (const double a : {0.3, ac * (1 - 1e-12), ac, ac * (1 + 1e-12), ac * (1 + 1e-6), 5.0})
    for (const double t : {0.05, 0.7, 2.0, 6.0}) {
      const ModeValue m = hbf_mode(t, a, lambda, 0.8, -0.4);
      const ModeValue mp = hbf_mode(t + h, a, lambda, 0.8, -0.4), mm = hbf_mode(t - h, a, lambda, 0.8, -0.4);
      const double zdd = (mp.z_dot - mm.z_dot) / (2 * h);
      BOOST_TEST(std::abs(zdd + a * m.z_dot + lambda * m.z) < 1e-7, "a = " << a << ", t = " << t);
      BOOST_TEST(std::abs((mp.z - mm.z) / (2 * h) - m.z_dot) < 1e-7);
    }
  // Initial conditions.
  const ModeValue m0 = hbf_mode(0.0, 1.1, lambda, 0.8, -0.4);
  BOOST_TEST(m0.z == 0.8);
  BOOST_TEST(m0.z_dot == -0.4);
}

BOOST_AUTO_TEST_CASE(heavy_ball_is_continuous_across_critical_damping) {
  // Approach a² = 4λ from both sides: |z(a) − z(a_c)| must shrink with |a − a_c| (a
  // cancellation blow-up in (e^{r+t} − e^{r−t})/(r+ − r−) would do the opposite).
  const double lambda = 2.0, ac = 2.0 * std::sqrt(lambda);
  for (const double t : {0.1, 1.0, 10.0, 40.0}) {
    const ModeValue mc = hbf_mode(t, ac, lambda, 1.0, 0.5);
    const double scale = std::abs(mc.z) + std::abs(mc.z_dot);
    for (int k = 1; k <= 15; ++k)
      for (const double sgn : {-1.0, 1.0}) {
        const double da = sgn * std::pow(10.0, -k) * ac;
        if (std::abs(da) * (1.0 + t * t) > 1e-2) continue;  // stay in the linear regime
        const ModeValue m = hbf_mode(t, ac + da, lambda, 1.0, 0.5);
        // z is analytic in a with |∂z/∂a| ≲ t³·scale; a cancellation blow-up would instead give
        // errors ~ eps/√|a − a_c|, far above this near a_c.
        const double allowed = 10.0 * (1.0 + t * t * t) * std::abs(da) * scale + 1e-14 * scale;
        BOOST_TEST(std::abs(m.z - mc.z) <= allowed, "t = " << t << ", da = " << da);
        BOOST_TEST(std::abs(m.z_dot - mc.z_dot) <= allowed, "t = " << t << ", da = " << da);
      }
    // Critical damping: z = e^{−st}(z0 + (ż0 + s z0)t). (λ − s² is a rounding-level q, not 0,
    // and the closed form honours it: relative effect ~|q|t² ≈ 1e-13 at t = 40.)
    const double s = 0.5 * ac;
    BOOST_TEST(std::abs(mc.z - std::exp(-s * t) * (1.0 + (0.5 + s) * t)) <= 1e-12 * scale);
  }
}

BOOST_AUTO_TEST_CASE(heavy_ball_lambda_zero_and_large_time) {
  // λ = 0: z = z0 + ż0 (1 − e^{−at})/a, and z0 + ż0 t when a = 0.
  for (const double t : {0.0, 0.5, 3.0, 1e3}) {
    const ModeValue m = hbf_mode(t, 0.8, 0.0, 1.3, -0.6);
    BOOST_TEST(std::abs(m.z - (1.3 - 0.6 * (-std::expm1(-0.8 * t)) / 0.8)) < 1e-14);
    BOOST_TEST(std::abs(m.z_dot - (-0.6 * std::exp(-0.8 * t))) < 1e-14);
    const ModeValue u = hbf_mode(t, 0.0, 0.0, 1.3, -0.6);
    BOOST_TEST(std::abs(u.z - (1.3 - 0.6 * t)) < 1e-12 * (1 + t));
  }
  // Strongly over-damped, long horizon: the slow root r+ = −λ/(s+κ) ≈ −λ/a must survive
  // (a naive −s + κ would round to 0 and cosh would overflow).
  const double a = 1e4, lambda = 1e-3, t = 1e6;
  const ModeValue m = hbf_mode(t, a, lambda, 1.0, 0.0);
  const double r_plus = -lambda / a;  // to relative O(λ/a²)
  BOOST_TEST(std::isfinite(m.z));
  BOOST_TEST(std::abs(m.z / std::exp(r_plus * t) - 1.0) < 1e-6);
}

BOOST_AUTO_TEST_CASE(nesterov_matches_odeint) {
  const Index n = 5;
  const Mat H = random_psd(n, 4, 13);
  const ModalSolution sol(H);
  Rng rng(4);
  const Vec d0 = rng.normal(n, 1);
  for (const double gamma : {0.5, 3.0, 7.0, 12.5}) {
    // The flow is singular at t = 0: start at t0 from the closed form and integrate from there.
    const double t0 = 1e-2;
    const ModalState s0 = sol.nesterov(t0, gamma, d0);
    for (const double T : {1.0, 5.0, 12.0}) {
      const State x = integrate([&](const State& s, State& ds, double t) {
        const Vec d = part(s, 0, n), v = part(s, n, n);
        const Vec acc = -(gamma / t) * v - H * d;
        for (Index i = 0; i < n; ++i) ds[i] = v(i), ds[n + i] = acc(i);
      }, pack(s0.delta, s0.delta_dot), t0, T);
      const ModalState st = sol.nesterov(T, gamma, d0);
      BOOST_TEST(rel_err(st.delta, part(x, 0, n)) < 1e-9, "γ = " << gamma << ", T = " << T);
      BOOST_TEST(rel_err(st.delta_dot, part(x, n, n)) < 1e-9, "γ = " << gamma << ", T = " << T);
    }
  }
}

BOOST_AUTO_TEST_CASE(nesterov_small_time_series_and_residual) {
  // z(t) = z0(1 − λt²/(2(γ+1)) + O(t⁴)), ż(t) = −λt z0/(γ+1) + O(t³) (MATH.md §3 series).
  for (const double gamma : {1.0, 3.0, 7.0})
    for (const double t : {0.0, 1e-8, 1e-4, 1e-2}) {
      const double lambda = 2.5;
      const ModeValue m = nag_mode(t, gamma, lambda, 1.5);
      BOOST_TEST(std::abs(m.z - 1.5 * (1 - lambda * t * t / (2 * (gamma + 1)))) <= 1.0 * std::pow(lambda * t * t, 2) + 4e-16);
      BOOST_TEST(std::abs(m.z_dot + lambda * t * 1.5 / (gamma + 1)) <= 1.0 * lambda * lambda * std::pow(t, 3) + 1e-300);
    }
  // Residual z̈ + (γ/t)ż + λz by central differences of the exact ż.
  const double h = 1e-4;
  for (const double gamma : {0.5, 3.0, 7.0})
    for (const double t : {0.3, 2.0, 9.0, 30.0}) {
      const double lambda = 0.8;
      const ModeValue m = nag_mode(t, gamma, lambda, 1.0);
      const double zdd = (nag_mode(t + h, gamma, lambda, 1.0).z_dot - nag_mode(t - h, gamma, lambda, 1.0).z_dot) / (2 * h);
      BOOST_TEST(std::abs(zdd + gamma / t * m.z_dot + lambda * m.z) < 1e-7, "γ = " << gamma << ", t = " << t);
    }
}

BOOST_AUTO_TEST_CASE(nesterov_gamma3_is_two_j1_over_x) {
  for (const double lambda : {0.05, 1.0, 7.0})
    for (const double t : {1e-3, 0.4, 1.9, 2.1, 5.0, 17.0, 60.0}) {
      const double x = std::sqrt(lambda) * t;
      const double want = 2.0 * boost::math::cyl_bessel_j(1, x) / x;
      const ModeValue m = nag_mode(t, 3.0, lambda, 1.0);
      BOOST_TEST(std::abs(m.z - want) <= 1e-13 * std::max(1e-3, std::abs(want)), "λ = " << lambda << ", t = " << t);
      // ż = −(λt/4) g_2(x) with g_2(x) = 8 J2(x)/x², i.e. ż = −2√λ J2(x)/x.
      const double want_dot = -2.0 * std::sqrt(lambda) * boost::math::cyl_bessel_j(2, x) / x;
      BOOST_TEST(std::abs(m.z_dot - want_dot) <= 1e-13 * std::max(1e-3, std::abs(want_dot)) + 1e-16);
    }
  // γ = 0 (ν = −½) is cos(√λ t); γ = 2 (ν = ½) is sin(x)/x.
  for (const double x : {0.3, 1.5, 2.5, 9.0}) {
    BOOST_TEST(std::abs(bessel_ratio(-0.5, x) - std::cos(x)) < 1e-14);
    BOOST_TEST(std::abs(bessel_ratio(0.5, x) - std::sin(x) / x) < 1e-14);
  }
}

BOOST_AUTO_TEST_CASE(lambda_zero_modes) {
  // H = diag(0, 1): the null direction is untouched by every flow (no velocity at start).
  Mat H = Mat::Zero(2, 2);
  H(1, 1) = 1.0;
  const ModalSolution sol(H);
  Vec d0(2);
  d0 << 0.7, -1.1;
  for (const double t : {0.0, 0.5, 4.0, 100.0}) {
    BOOST_TEST(sol.gradient_flow(t, d0).delta(0) == 0.7);
    BOOST_TEST(std::abs(sol.heavy_ball(t, 0.9, d0).delta(0) - 0.7) < 1e-15);
    BOOST_TEST(sol.nesterov(t, 3.0, d0).delta(0) == 0.7);
    BOOST_TEST(sol.nesterov(t, 3.0, d0).delta_dot(0) == 0.0);
  }
  BOOST_TEST(nag_mode(5.0, 3.0, 0.0, 2.0).z == 2.0);
  BOOST_TEST(gf_mode(5.0, 0.0, 2.0).z == 2.0);
}

BOOST_AUTO_TEST_CASE(least_squares_weight_space) {
  Rng rng(21);
  const Mat X = rng.normal(9, 4);
  const Vec y = rng.normal(9, 1), th0 = rng.normal(4, 1);
  const LeastSquaresFlow flow(X, y);
  const Mat A = X.transpose() * X;
  const Vec th_star = A.ldlt().solve(X.transpose() * y);
  BOOST_TEST((flow.minimiser() - th_star).norm() < 1e-12 * th_star.norm());
  for (const double t : {0.0, 0.05, 0.3, 2.0}) {
    // θ(t) − θ* = e^{−XᵀX t}(θ0 − θ*), the matrix exponential by Eigen's Padé (independent path).
    const Mat E = (-A * t).exp();
    const Vec want = th_star + E * (th0 - th_star);
    BOOST_TEST((flow.theta(t, th0) - want).norm() < 1e-11 * want.norm(), "t = " << t);
    const double h = 1e-5;
    const Vec fd = (flow.theta(t + h, th0) - flow.theta(std::max(0.0, t - h), th0)) / (t >= h ? 2 * h : h);
    BOOST_TEST((flow.theta_dot(t, th0) - fd).norm() < (t >= h ? 1e-6 : 1e-3) * std::max(1.0, fd.norm()));
  }
  // Rank-deficient X (duplicated column) against odeint, mean convention c = 1/n.
  Mat Xd(9, 3);
  Xd << X.col(0), X.col(1), X.col(1);
  const double c = 1.0 / 9.0;
  const LeastSquaresFlow fd(Xd, y, c);
  const Vec t0 = rng.normal(3, 1);
  const double T = 7.0;
  State x(t0.data(), t0.data() + 3);
  x = integrate([&](const State& s, State& ds, double) {
    const Vec th = part(s, 0, 3);
    const Vec g = -c * Xd.transpose() * (Xd * th - y);
    for (Index i = 0; i < 3; ++i) ds[i] = g(i);
  }, x, 0.0, T);
  BOOST_TEST(rel_err(fd.theta(T, t0), part(x, 0, 3)) < 1e-9);
  // The null direction (0, 1, −1)/√2 keeps its θ0 component forever.
  const Vec th_inf = fd.theta(1e9, t0);
  BOOST_TEST(std::abs((th_inf(1) - th_inf(2)) - (t0(1) - t0(2))) < 1e-9);
}

BOOST_AUTO_TEST_CASE(rejects_bad_input) {
  Mat H(2, 2);
  H << 1, 0.5, 0, 1;
  BOOST_CHECK_THROW(ModalSolution{H}, input_error);
  H << 1, 2, 2, 1;  // eigenvalues 3, −1
  BOOST_CHECK_THROW(ModalSolution{H}, input_error);
  const ModalSolution ok(Mat::Identity(2, 2));
  BOOST_CHECK_THROW(ok.heavy_ball(1.0, -0.1, Vec::Ones(2)), input_error);
  BOOST_CHECK_THROW(ok.nesterov(-1.0, 3.0, Vec::Ones(2)), input_error);
  BOOST_CHECK_THROW(ok.gradient_flow(1.0, Vec::Ones(3)), input_error);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
