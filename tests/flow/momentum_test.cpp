// Second-order dynamics against their closed forms, and discrete methods against their flows.
#include <boost/test/unit_test.hpp>

#include "gradflow/theory/modal.hpp"
#include "support.hpp"

using namespace gradflow;
using namespace gradflow::test;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

/// K = Q diag(λ) Qᵀ with a random orthogonal Q.
Mat kernel_with_spectrum(const Vec& lambda, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::HouseholderQR<Mat> qr(rng.normal(lambda.size(), lambda.size()));
  const Mat Q = qr.householderQ();
  return Q * lambda.asDiagonal() * Q.transpose();
}

double relative_error(const Vec& a, const Vec& b) { return (a - b).norm() / std::max(b.norm(), 1e-300); }

}  // namespace

BOOST_AUTO_TEST_SUITE(momentum)

BOOST_AUTO_TEST_CASE(first_order_error_dynamics_match_the_exponential) {
  const Mat K = kernel_with_spectrum((Vec(5) << 0.0, 0.05, 0.3, 1.0, 4.0).finished(), 1);
  const Vec d0 = Vec::LinSpaced(5, 1.0, -2.0);
  const ModalSolution exact(K, 1.0);
  const auto times = grid(8.0, 40);
  const auto traj = trajectory(error_flow(K), d0, 0.0, times, 1e-10);
  double worst = 0;
  for (std::size_t i = 0; i < times.size(); ++i)
    worst = std::max(worst, relative_error(traj[i], exact.gradient_flow(times[i], d0).delta));
  BOOST_TEST(worst <= 1e-8, "relative error " << worst);
}

BOOST_AUTO_TEST_CASE(heavy_ball_error_dynamics_in_every_damping_regime) {
  // With a = 1: λ = 1 is under-damped (a² < 4λ), λ = 0.25 critical, λ = 0.05 over-damped.
  const Mat K = kernel_with_spectrum((Vec(4) << 0.05, 0.25, 1.0, 3.0).finished(), 2);
  const Vec d0 = (Vec(4) << 1.0, -0.5, 0.25, 2.0).finished();
  const ModalSolution exact(K, 1.0);
  const auto times = grid(15.0, 60);
  for (const double a : {1.0, std::sqrt(2 * 0.05)}) {
    Vec x = Vec::Zero(8);
    x.head(4) = d0;
    const auto traj = trajectory(error_flow(K, constant_damping(a)), x, 0.0, times, 1e-10);
    double worst = 0;
    for (std::size_t i = 0; i < times.size(); ++i) {
      const auto ex = exact.heavy_ball(times[i], a, d0);
      worst = std::max({worst, relative_error(traj[i].head(4), ex.delta),
                        (traj[i].tail(4) - ex.delta_dot).norm() / d0.norm()});
    }
    BOOST_TEST(worst <= 1e-8, "a = " << a << ": relative error " << worst);
  }
}

BOOST_AUTO_TEST_CASE(nesterov_error_dynamics_match_bessel_for_gamma_3_and_7) {
  const Mat K = kernel_with_spectrum((Vec(4) << 0.05, 0.2, 1.0, 2.5).finished(), 3);
  const Vec d0 = (Vec(4) << 2.0, -1.0, 0.5, 1.0).finished();
  const ModalSolution exact(K, 1.0);
  for (const double gamma : {3.0, 7.0}) {
    // Series start at t0: Δ(t0) = Δ0 − t0² KΔ0/(2(1+γ)), Δ̇(t0) = −t0 KΔ0/(1+γ).
    const double t0 = 1e-4;
    Vec x(8);
    x.head(4) = d0 - t0 * t0 / (2 * (1 + gamma)) * (K * d0);
    x.tail(4) = -t0 / (1 + gamma) * (K * d0);
    const auto times = grid(20.0, 80);
    const std::vector<double> later(times.begin() + 1, times.end());
    const auto traj = trajectory(error_flow(K, nesterov_damping(gamma)), x, t0, later, 1e-10);
    double worst = 0;
    for (std::size_t i = 0; i < later.size(); ++i)
      worst = std::max(worst, relative_error(traj[i].head(4), exact.nesterov(later[i], gamma, d0).delta));
    BOOST_TEST(worst <= 1e-8, "gamma = " << gamma << ": relative error " << worst);
  }
}

BOOST_AUTO_TEST_CASE(discrete_nesterov_approaches_the_bessel_solution) {
  // A quadratic: L = ½‖Xθ − y‖², so Δ = Xθ − y follows Δ̈ + (γ/t)Δ̇ + XXᵀΔ = 0 in the limit.
  Rng rng(8);
  const Mat X = rng.normal(6, 6) / 2.0;
  const Vec y = rng.normal(6, 1);
  LeastSquares model(X);
  const Objective obj(model, y, Reduction::sum);
  const Vec theta0 = Vec::Zero(6);
  const ModalSolution exact(X * X.transpose(), 1.0);
  const Vec d0 = X * theta0 - y;
  const double horizon = 4.0;
  for (const double gamma : {3.0, 7.0}) {
    std::vector<double> hs, errs;
    for (const double eta : {1e-2, 2.5e-3, 6.25e-4, 1.5625e-4}) {
      const double h = std::sqrt(eta);
      const long K = std::lround(horizon / h);
      std::vector<long> ks(static_cast<std::size_t>(K));
      std::iota(ks.begin(), ks.end(), 1L);
      Vec s = momentum_state(theta0);
      double err = 0;
      iterate(nesterov(obj, eta, gamma), s, ks, [&](long k, const Vec& st) {
        const Vec d = X * st.head(6) - y;
        err = std::max(err, (d - exact.nesterov(static_cast<double>(k) * h, gamma, d0).delta).norm());
        return true;
      });
      hs.push_back(h);
      errs.push_back(err);
    }
    const double order = loglog_slope(hs, errs);
    BOOST_TEST_MESSAGE("NAG gamma=" << gamma << " max deviation " << errs.front() << " -> " << errs.back()
                                    << ", order in sqrt(eta): " << order);
    BOOST_TEST(errs.back() < 0.2 * errs.front(), "an 8x smaller sqrt(eta) shrinks the deviation about 8x");
    BOOST_TEST(std::abs(order - 1.0) <= 0.2, "order " << order);
  }
}

BOOST_AUTO_TEST_CASE(heavy_ball_approaches_the_heavy_ball_flow) {
  Rng rng(9);
  const Mat X = rng.normal(5, 5) / 2.0;
  const Vec y = rng.normal(5, 1);
  LeastSquares model(X);
  const Objective obj(model, y, Reduction::sum);
  const ModalSolution exact(X * X.transpose(), 1.0);
  const Vec theta0 = Vec::Zero(5), d0 = -y;
  const double a = 0.8, horizon = 5.0;
  std::vector<double> hs, errs;
  for (const double eta : {1e-2, 2.5e-3, 6.25e-4, 1.5625e-4}) {
    const double h = std::sqrt(eta);
    std::vector<long> ks(static_cast<std::size_t>(std::lround(horizon / h)));
    std::iota(ks.begin(), ks.end(), 1L);
    Vec s = momentum_state(theta0);
    double err = 0;
    iterate(heavy_ball(obj, eta, 1.0 - a * h), s, ks, [&](long k, const Vec& st) {
      err = std::max(err, (X * st.head(5) - y - exact.heavy_ball(static_cast<double>(k) * h, a, d0).delta).norm());
      return true;
    });
    hs.push_back(h);
    errs.push_back(err);
  }
  const double order = loglog_slope(hs, errs);
  BOOST_TEST_MESSAGE("HB max deviation " << errs.front() << " -> " << errs.back() << ", order in sqrt(eta): " << order);
  BOOST_TEST(std::abs(order - 1.0) <= 0.2, "order " << order);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
