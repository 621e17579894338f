#pragma once
// Extreme eigenvalues of symmetric PSD kernels (the NTK H, K = cH) with Spectra's implicitly
// restarted Lanczos. Small matrices go to the dense solver. Above `dense_max_n`, λ_min of a
// formed H comes from shift-invert Lanczos on (H − σI)⁻¹ (one Cholesky, then ~60–80 solves),
// because the bottom of an NTK spectrum is a dense edge on which plain Lanczos needs thousands
// of products. Matrix-free operators (Hv = J(Jᵀv), for H too large to form) get plain Lanczos.
#include <functional>

#include "gradflow/core/types.hpp"

namespace gradflow {

struct SpectrumOptions {
  Index dense_max_n = 300;     ///< dense SelfAdjointEigenSolver up to this size
  double tol = 1e-11;          ///< Lanczos: residual ‖Hv − λv‖ ≤ tol·|λ| on convergence
  Index subspace = 40;         ///< Lanczos basis size (restarted)
  Index max_restarts = 2000;
};

/// y = H x for a symmetric n×n operator.
using SymmetricProduct = std::function<void(const Vec& x, Vec& y)>;

/// λ_min(H) of a symmetric matrix: dense below the cut-off, shift-invert Lanczos above
/// (dense again if H − σI is not positive definite, i.e. λ_min ≤ σ = −1e-10·max|H_ii|).
double smallest_eigenvalue(const Mat& H, const SpectrumOptions& options = {});
/// λ_max(H) likewise (Lanczos converges fast at the top of an NTK spectrum).
double largest_eigenvalue(const Mat& H, const SpectrumOptions& options = {});

/// λ_min of a matrix-free symmetric operator of size n ≥ 4, always by plain Lanczos
/// (slow to converge on a clustered bottom: prefer the formed H when it fits in memory).
/// Throws std::runtime_error when Lanczos does not converge.
double smallest_eigenvalue(Index n, const SymmetricProduct& product, const SpectrumOptions& options = {});
double largest_eigenvalue(Index n, const SymmetricProduct& product, const SpectrumOptions& options = {});

/// The λ_min that `smallest_eigenvalue` would return, by the dense solver (for comparison).
double smallest_eigenvalue_dense(const Mat& H);

}  // namespace gradflow
