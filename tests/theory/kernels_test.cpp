// Infinite-width ReLU kernels (MATH.md §2): hand-checked values, PSD-ness, Monte-Carlo
// expectations and the m → ∞ limit of the two_layer model's own NTK.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <numbers>

#include "gradflow/core/rng.hpp"
#include "gradflow/model/two_layer.hpp"
#include "gradflow/theory/kernels.hpp"

using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

constexpr double kPi = std::numbers::pi;

Mat unit_rows(Index n, Index d, std::uint64_t seed) {
  Rng rng(seed);
  Mat X = rng.normal(n, d);
  X.rowwise().normalize();
  return X;
}

double min_eig(const Mat& K) { return Eigen::SelfAdjointEigenSolver<Mat>(K, Eigen::EigenvaluesOnly).eigenvalues()(0); }

}  // namespace

BOOST_AUTO_TEST_SUITE(kernels)

BOOST_AUTO_TEST_CASE(diagonals_for_unit_inputs) {
  const Mat X = unit_rows(6, 5, 1);
  const Mat H = relu_ntk_infinite(X), Ka = relu_kernel_outer(X), Kw = relu_kernel_inner(X, 1.0);
  const Mat H2 = two_layer_ntk_infinite(X, 0.6);
  for (Index i = 0; i < X.rows(); ++i) {
    BOOST_TEST(std::abs(H(i, i) - 0.5) < 1e-15);   // θ = 0: x·x (π − 0)/(2π) = ½
    BOOST_TEST(std::abs(Ka(i, i) - 0.5) < 1e-15);  // E σ(z)² = ½ E z² = ½
    BOOST_TEST(std::abs(Kw(i, i) - 0.5) < 1e-15);
    BOOST_TEST(std::abs(H2(i, i) - 0.5 * (1 + 0.36)) < 1e-15);
  }
  BOOST_TEST((H - Kw).cwiseAbs().maxCoeff() == 0.0);  // relu2's H∞ is K^(w) with E[a²] = 1
  // ‖x‖ = 3, w_std = 2: K^(a)_ii = w_std²‖x‖²/2 = 18.
  BOOST_TEST(std::abs(relu_kernel_outer(3.0 * X, 2.0)(0, 0) - 18.0) < 1e-12);
}

BOOST_AUTO_TEST_CASE(hand_checked_points) {
  Mat X(5, 3);
  X << 1, 0, 0,                               // e1
      0, 1, 0,                                // e2 ⟂ e1
      2, 0, 0,                                // 2 e1 ∥ e1
      -1, 0, 0,                               // −e1
      0.5, std::sqrt(3.0) / 2, 0;             // 60° from e1
  const Mat Ka = relu_kernel_outer(X), Kw = relu_kernel_inner(X, 1.0), H = relu_ntk_infinite(X);
  const Mat theta = row_angles(X);
  // Orthogonal unit vectors, θ = π/2: K^(a) = (sin + (π−θ)cos)/(2π) = 1/(2π); K^(w) = H∞ = 0 (x_iᵀx_j = 0).
  BOOST_TEST(std::abs(theta(0, 1) - kPi / 2) < 1e-15);
  BOOST_TEST(std::abs(Ka(0, 1) - 1.0 / (2 * kPi)) < 1e-15);
  BOOST_TEST(Kw(0, 1) == 0.0);
  BOOST_TEST(H(0, 1) == 0.0);
  // Parallel, x and 2x: θ = 0: K^(a) = ‖x‖‖2x‖ π/(2π) = 1, K^(w) = xᵀ(2x)·½ = 1.
  BOOST_TEST(std::abs(Ka(0, 2) - 1.0) < 1e-15);
  BOOST_TEST(std::abs(Kw(0, 2) - 1.0) < 1e-15);
  // Anti-parallel, θ = π: σ(wᵀx)σ(−wᵀx) = 0 and the half-spaces never overlap.
  BOOST_TEST(std::abs(Ka(0, 3)) < 1e-15);
  BOOST_TEST(std::abs(Kw(0, 3)) < 1e-15);
  // θ = π/3 between unit vectors: K^(a) = (√3/2 + (2π/3)(1/2))/(2π), K^(w) = ½·(2π/3)/(2π) = 1/6.
  BOOST_TEST(std::abs(Ka(0, 4) - (std::sqrt(3.0) / 2 + kPi / 3) / (2 * kPi)) < 1e-14);
  BOOST_TEST(std::abs(Kw(0, 4) - 1.0 / 6.0) < 1e-14);
  // two_layer H∞ = K^(a) + γ² K^(w).
  BOOST_TEST((two_layer_ntk_infinite(X, 0.8) - (Ka + 0.64 * Kw)).cwiseAbs().maxCoeff() < 1e-15);
  // A zero input gives zero rows (no NaN from the angle).
  Mat Z = X;
  Z.row(1).setZero();
  const Mat Hz = two_layer_ntk_infinite(Z, 1.0);
  BOOST_TEST(Hz.allFinite());
  BOOST_TEST(Hz.row(1).cwiseAbs().maxCoeff() == 0.0);
}

BOOST_AUTO_TEST_CASE(positive_semidefinite) {
  const Mat X = unit_rows(25, 3, 2);  // many points in low dimension: close to singular
  for (const Mat& K : {relu_ntk_infinite(X), relu_kernel_outer(X), two_layer_ntk_infinite(X, 0.5)})
    BOOST_TEST(min_eig(K) > -1e-12);
  // Pairwise non-parallel inputs: λ0 = λ_min(H∞) > 0 (Du et al.).
  BOOST_TEST(min_eig(relu_ntk_infinite(unit_rows(8, 4, 3))) > 1e-4);
}

BOOST_AUTO_TEST_CASE(monte_carlo_expectations) {
  // E_w σ(wᵀx_i)σ(wᵀx_j) and E[a²] E_w 1{wᵀx_i ≥ 0}1{wᵀx_j ≥ 0} x_iᵀx_j, w ~ N(0, I), a ~ N(0, γ²).
  Mat X(4, 3);
  X << 1.0, 0.2, -0.3,  //
      -0.4, 1.1, 0.5,   //
      0.3, 0.3, 0.9,    //
      0.9, -0.8, 0.1;
  const double gamma = 0.7;
  const int M = 400000, B = 10000;  // per-entry MC standard error ≲ 3e-3
  Rng rng(12345);
  Mat Sa = Mat::Zero(4, 4), Sw = Mat::Zero(4, 4);
  const Mat G = X * X.transpose();
  for (int s = 0; s < M; s += B) {
    const Mat W = rng.normal(3, B);
    const Vec a = rng.normal(B, 1, gamma);
    const Mat Z = X * W;  // 4×B
    const Mat Phi = Z.cwiseMax(0.0);
    const Mat Ind = (Z.array() >= 0.0).cast<double>().matrix();
    Sa.noalias() += Phi * Phi.transpose();
    Sw.noalias() += Ind * a.cwiseAbs2().asDiagonal() * Ind.transpose();
  }
  Sa /= static_cast<double>(M);
  Sw = (Sw / static_cast<double>(M)).cwiseProduct(G);
  const Mat Ka = relu_kernel_outer(X), Kw = relu_kernel_inner(X, gamma * gamma);
  BOOST_TEST((Sa - Ka).cwiseAbs().maxCoeff() < 1e-2, "K^(a) MC error " << (Sa - Ka).cwiseAbs().maxCoeff());
  BOOST_TEST((Sw - Kw).cwiseAbs().maxCoeff() < 1e-2, "K^(w) MC error " << (Sw - Kw).cwiseAbs().maxCoeff());
}

BOOST_AUTO_TEST_CASE(two_layer_model_ntk_converges_to_h_infinity) {
  // The model's own H = JJᵀ at a random init of width m, scaling 1/√m, a ~ N(0, γ²),
  // w ~ N(0, s_w² I): H → K^(a)(s_w) + γ² K^(w) (law of large numbers, error ~ 1/√m).
  const Index n = 5, d = 3, m = 40000;
  const double gamma = 0.6, w_std = 1.5;
  Mat X(n, d);
  X << 1.0, 0.0, 0.2,  //
      0.1, -1.0, 0.4,  //
      -0.5, 0.5, 0.5,  //
      0.7, 0.7, -0.1,  //
      0.0, 0.3, -1.2;
  Rng rng(77);
  TwoLayerOptions o;
  o.width = m;
  o.scale = 1.0 / std::sqrt(static_cast<double>(m));
  o.train_outer = true;
  const TwoLayer model(X, o);
  Vec theta(m * d + m);
  theta.head(m * d) = rng.normal(m * d, 1, w_std);  // vec(W), W m×d column-major
  theta.tail(m) = rng.normal(m, 1, gamma);
  Mat H;
  model.ntk(theta, H);
  const Mat Hinf = two_layer_ntk_infinite(X, gamma, w_std);
  const double err = (H - Hinf).cwiseAbs().maxCoeff();
  BOOST_TEST(err < 3e-2 * Hinf.cwiseAbs().maxCoeff(), "max |H_m − H∞| = " << err);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
