#include "gradflow/core/simd_math.hpp"

namespace gradflow::simd {

void tanh(const double* x, double* y, Index n) {
#pragma omp simd
  for (Index i = 0; i < n; ++i) y[i] = simd::tanh(x[i]);
}

void logistic(const double* x, double* y, Index n) {
#pragma omp simd
  for (Index i = 0; i < n; ++i) y[i] = simd::logistic(x[i]);
}

void exp(const double* x, double* y, Index n) {
#pragma omp simd
  for (Index i = 0; i < n; ++i) y[i] = simd::exp(x[i]);
}

}  // namespace gradflow::simd
