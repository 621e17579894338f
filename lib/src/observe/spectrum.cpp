#include "gradflow/observe/spectrum.hpp"

#include <Eigen/Eigenvalues>
#include <Spectra/SymEigsShiftSolver.h>
#include <Spectra/SymEigsSolver.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace gradflow {
namespace {

/// Spectra's operator concept over a std::function product.
class ProductOp {
 public:
  using Scalar = double;
  ProductOp(Index n, const SymmetricProduct& product) : n_(n), product_(product), x_(n), y_(n) {}
  Index rows() const { return n_; }
  Index cols() const { return n_; }
  void perform_op(const double* in, double* out) const {
    x_ = Eigen::Map<const Vec>(in, n_);
    product_(x_, y_);
    Eigen::Map<Vec>(out, n_) = y_;
  }

 private:
  Index n_;
  const SymmetricProduct& product_;
  mutable Vec x_, y_;
};

/// Spectra's operator concept over a formed matrix (a full GEMV, no copy of H).
class MatrixOp {
 public:
  using Scalar = double;
  explicit MatrixOp(const Mat& H) : H_(H) {}
  Index rows() const { return H_.rows(); }
  Index cols() const { return H_.cols(); }
  void perform_op(const double* in, double* out) const {
    Eigen::Map<Vec>(out, H_.rows()).noalias() = H_ * Eigen::Map<const Vec>(in, H_.rows());
  }

 private:
  const Mat& H_;
};

/// (H − σI)⁻¹ by a Cholesky factorisation (blocked, so far cheaper than the dense
/// eigensolver's tridiagonalisation). `ok()` is false when H − σI is not positive definite.
class ShiftInvertOp {
 public:
  using Scalar = double;
  explicit ShiftInvertOp(const Mat& H) : H_(H) {}
  Index rows() const { return H_.rows(); }
  Index cols() const { return H_.cols(); }
  void set_shift(double sigma) {
    llt_.compute(H_ - sigma * Mat::Identity(H_.rows(), H_.cols()));
    ok_ = llt_.info() == Eigen::Success;
  }
  bool ok() const { return ok_; }
  void perform_op(const double* in, double* out) const {
    Eigen::Map<Vec> y(out, H_.rows());
    y = Eigen::Map<const Vec>(in, H_.rows());
    llt_.solveInPlace(y);
  }

 private:
  const Mat& H_;
  Eigen::LLT<Mat> llt_;
  bool ok_ = false;
};

template <class Op>
double lanczos(Op& op, Spectra::SortRule rule, const SpectrumOptions& o) {
  const Index n = op.rows();
  // Two wanted Ritz values rather than one: the restarts keep a slightly larger block,
  // which converges in fewer products when the bottom of the spectrum is clustered.
  const Index nev = std::min<Index>(2, n - 1);
  const Index ncv = std::min<Index>(n, std::max<Index>(o.subspace, 2 * nev + 1));
  Spectra::SymEigsSolver<Op> eigs(op, nev, ncv);
  eigs.init();  // fixed seed: reproducible
  eigs.compute(rule, o.max_restarts, o.tol, rule);
  if (eigs.info() != Spectra::CompInfo::Successful)
    throw std::runtime_error("Lanczos did not converge on a " + std::to_string(n) + "x" + std::to_string(n) + " kernel");
  return eigs.eigenvalues()(0);
}

}  // namespace

double smallest_eigenvalue_dense(const Mat& H) {
  Eigen::SelfAdjointEigenSolver<Mat> eig(H, Eigen::EigenvaluesOnly);
  return eig.eigenvalues()(0);
}

// The bottom of an NTK spectrum is a dense edge far below λ_max: plain Lanczos needs
// thousands of products there (measured: ~3000–7000 at n = 400–1000), while shift-invert
// Lanczos on (H − σI)⁻¹, σ just below 0, separates it and converges in ~60–80 solves.
// λ_min = σ + 1/ν_max. A Cholesky that fails (λ_min ≤ σ: H singular or indefinite beyond
// rounding) falls back to the dense solver.
double smallest_eigenvalue(const Mat& H, const SpectrumOptions& o) {
  const Index n = H.rows();
  if (n <= std::max<Index>(o.dense_max_n, 3)) return smallest_eigenvalue_dense(H);
  const double scale = H.diagonal().cwiseAbs().maxCoeff();
  if (!(scale > 0)) return smallest_eigenvalue_dense(H);
  const double sigma = -1e-10 * scale;
  ShiftInvertOp op(H);
  const Index nev = 2, ncv = std::min<Index>(n, std::max<Index>(o.subspace / 2, 2 * nev + 1));
  Spectra::SymEigsShiftSolver<ShiftInvertOp> eigs(op, nev, ncv, sigma);
  if (!op.ok()) return smallest_eigenvalue_dense(H);
  eigs.init();
  eigs.compute(Spectra::SortRule::LargestMagn, o.max_restarts, o.tol, Spectra::SortRule::SmallestAlge);
  if (eigs.info() != Spectra::CompInfo::Successful) return smallest_eigenvalue_dense(H);
  return eigs.eigenvalues()(0);
}

double largest_eigenvalue(const Mat& H, const SpectrumOptions& o) {
  if (H.rows() <= std::max<Index>(o.dense_max_n, 3)) {
    Eigen::SelfAdjointEigenSolver<Mat> eig(H, Eigen::EigenvaluesOnly);
    return eig.eigenvalues()(H.rows() - 1);
  }
  MatrixOp op(H);
  return lanczos(op, Spectra::SortRule::LargestAlge, o);
}

double smallest_eigenvalue(Index n, const SymmetricProduct& product, const SpectrumOptions& o) {
  ProductOp op(n, product);
  return lanczos(op, Spectra::SortRule::SmallestAlge, o);
}

double largest_eigenvalue(Index n, const SymmetricProduct& product, const SpectrumOptions& o) {
  ProductOp op(n, product);
  return lanczos(op, Spectra::SortRule::LargestAlge, o);
}

}  // namespace gradflow
