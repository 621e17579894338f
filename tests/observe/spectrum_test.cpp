// Lanczos (Spectra) against the dense symmetric eigensolver on kernels of size ~400, formed
// and matrix-free (Hv = J(Jᵀv)).
#include <boost/test/unit_test.hpp>

#include "gradflow/observe/spectrum.hpp"
#include "support.hpp"

using namespace gradflow;
using namespace gradflow::test;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

/// Wishart-like PSD matrix A Aᵀ/r with A n×r Gaussian: its spectrum fills
/// [(1 − √(n/r))², (1 + √(n/r))²], so the bottom is a continuum edge, not an isolated value.
Mat wishart(Index n, Index r, std::uint64_t seed) {
  Rng rng(seed);
  const Mat A = rng.normal(n, r);
  return A * A.transpose() / static_cast<double>(r);
}

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

}  // namespace

BOOST_AUTO_TEST_SUITE(spectrum)

BOOST_AUTO_TEST_CASE(lanczos_matches_dense_on_a_random_psd_matrix) {
  const Mat H = wishart(400, 900, 5);
  Eigen::SelfAdjointEigenSolver<Mat> eig(H, Eigen::EigenvaluesOnly);
  const double lo = eig.eigenvalues()(0), hi = eig.eigenvalues()(399);
  BOOST_REQUIRE(lo > 0.05);  // well away from 0, so the relative test is meaningful
  BOOST_TEST(rel(smallest_eigenvalue(H), lo) < 1e-8);
  BOOST_TEST(rel(largest_eigenvalue(H), hi) < 1e-8);
  BOOST_TEST(smallest_eigenvalue_dense(H) == lo);
  // Matrix-free on the same operator.
  const SymmetricProduct op = [&H](const Vec& x, Vec& y) { y.noalias() = H * x; };
  BOOST_TEST(rel(smallest_eigenvalue(400, op), lo) < 1e-8);
}

BOOST_AUTO_TEST_CASE(dense_below_the_cutoff) {
  const Mat H = wishart(120, 200, 6);
  Eigen::SelfAdjointEigenSolver<Mat> eig(H, Eigen::EigenvaluesOnly);
  BOOST_TEST(smallest_eigenvalue(H) == eig.eigenvalues()(0));  // same solver, same bits
  SpectrumOptions o;
  o.dense_max_n = 50;  // forces Lanczos at n = 120
  BOOST_TEST(rel(smallest_eigenvalue(H, o), eig.eigenvalues()(0)) < 1e-8);
}

// The NTK of a two-layer ReLU net (both layers trained) at n = 400, formed in GEMM form:
// shift-invert Lanczos. Then products J(Jᵀv) that never form H, at n = 120 (plain Lanczos
// needs thousands of products on the clustered bottom of a larger NTK).
BOOST_AUTO_TEST_CASE(lanczos_matches_dense_on_an_ntk) {
  for (const Index n : {400, 80}) {
    ModelOptions mo;
    mo.kind = "two_layer";
    mo.width = 300;
    mo.activation = "relu";
    mo.scaling = "ntk";
    const SmallProblem p = make_problem("sphere", n, 10, mo, 9);
    const Model& m = *p.inst.model;
    const Vec& theta = p.inst.theta0;
    Mat H;
    m.ntk(theta, H);
    const double lo = smallest_eigenvalue_dense(H);
    BOOST_REQUIRE(lo > 0);
    if (n > SpectrumOptions{}.dense_max_n) {
      BOOST_TEST(rel(smallest_eigenvalue(H), lo) < 1e-8);
      continue;
    }
    Vec w;
    const SymmetricProduct jjt = [&](const Vec& x, Vec& y) {
      m.gradient(theta, x, w);
      m.jvp(theta, w, y);
    };
    BOOST_TEST(rel(smallest_eigenvalue(n, jjt), lo) < 1e-8);
    Eigen::SelfAdjointEigenSolver<Mat> eig(H, Eigen::EigenvaluesOnly);
    BOOST_TEST(rel(largest_eigenvalue(n, jjt), eig.eigenvalues()(n - 1)) < 1e-8);
  }
}

// A singular PSD matrix (rank 300 < n = 400): Cholesky of H − σI fails for σ > −1e-10·|H|
// only if λ_min < σ; here λ_min ≈ 0 ± rounding, so the answer must be ≈ 0 on the scale of H.
BOOST_AUTO_TEST_CASE(singular_kernel_gives_zero) {
  const Mat H = wishart(400, 300, 8);
  const double lo = smallest_eigenvalue(H);
  BOOST_TEST(std::abs(lo) < 1e-8 * H.diagonal().maxCoeff());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
