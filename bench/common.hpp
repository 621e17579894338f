#pragma once
// Small helpers shared by the benchmarks: wall clock, medians, problem set-up.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <vector>

#include "gradflow/core/rng.hpp"
#include "gradflow/core/simd_math.hpp"
#include "gradflow/core/threads.hpp"
#include "gradflow/core/types.hpp"
#include "gradflow/model/two_layer.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace bench {

inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t k = v.size() / 2;
  return v.size() % 2 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

/// Seconds per call of f: calls are batched so that each sample lasts ≥ min_sample seconds.
inline double time_per_call(const std::function<void()>& f, double min_sample = 0.02) {
  f();
  long reps = 1;
  for (;;) {
    const double t0 = now();
    for (long k = 0; k < reps; ++k) f();
    const double dt = now() - t0;
    if (dt >= min_sample) return dt / reps;
    reps *= dt > 0 ? std::max(2L, static_cast<long>(1.5 * min_sample / dt)) : 10;
  }
}

using gradflow::set_threads;

}  // namespace bench
