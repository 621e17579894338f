#include "gradflow/core/threads.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gradflow {

// Only the OpenMP count: Eigen follows omp_get_max_threads() unless Eigen::setNbThreads was
// called, and calling it would override the kernels' own choice of one thread for small GEMMs.
void set_threads(int threads) {
#ifdef _OPENMP
  omp_set_num_threads(threads);
#else
  (void)threads;
#endif
}

int thread_count() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace gradflow
