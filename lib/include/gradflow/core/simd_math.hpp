#pragma once
// Branch-free elementary functions on doubles, written so that GCC auto-vectorises loops that
// call them (-O2/-O3 with -march=native): no table look-ups, no calls into libm, selects
// instead of branches, integer work limited to 64-bit adds and shifts.
//
//   exp:      x = k ln2 + r (Cody–Waite, |r| ≤ ln2/2), e^r − 1 by a degree-13 Taylor polynomial
//             (truncation < 5e-18), 2^k applied as two factors so results down to the
//             subnormal range stay right. Max error ≈ 1 ulp on [−745, 709].
//   expm1:    on x ≥ 0 only (what tanh needs): 2^k (e^r − 1) + (2^k − 1), no cancellation.
//   tanh:     e/(e + 2) with e = expm1(2|x|), sign restored; ≤ ~2 ulp everywhere.
//   logistic: 1/(1 + e^{−x}) for x ≥ 0, e^{x}/(1 + e^{x}) for x < 0; ≤ ~2 ulp.
//   log1p:    on [0, 1] (softplus needs log1p(e^{−|z|})): 2 atanh(u/(2+u)), odd series.
//
// Accuracy is checked against libm in tests/kernel_test.cpp (max relative error < 1e-15).
#include <bit>
#include <cstdint>

#include "gradflow/core/types.hpp"

namespace gradflow::simd {

namespace detail {

inline constexpr double kLog2e = 1.4426950408889634074;
inline constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000: k·kLn2Hi exact
inline constexpr double kLn2Lo = 1.90821492927058770002e-10;
inline constexpr double kShifter = 6755399441055744.0;      // 1.5·2^52: rounds to an integer in the low bits

/// e^r − 1 for |r| ≤ ln2/2 (Horner, Taylor coefficients 1/j!).
inline double expm1_reduced(double r) {
  double p = 1.0 / 6227020800.0;             // 1/13!
  p = p * r + 1.0 / 479001600.0;             // 1/12!
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  return p * r;
}

/// Splits x into k and r with x = k ln2 + r; returns r and writes the bits of (kShifter + k).
inline double reduce(double x, std::uint64_t& kbits) {
  const double t = x * kLog2e + kShifter;
  const double k = t - kShifter;
  kbits = std::bit_cast<std::uint64_t>(t);
  return (x - k * kLn2Hi) - k * kLn2Lo;
}

/// 2^j for the integer j whose value sits in the low bits of kbits (−1022 ≤ j ≤ 1023).
inline double pow2(std::uint64_t kbits) { return std::bit_cast<double>((kbits + 1023u) << 52); }

}  // namespace detail

/// e^x; x is clamped to [−746, 709.78] (0 below, +inf-free above).
inline double exp(double x) {
  x = x < -746.0 ? -746.0 : x;
  x = x > 709.78 ? 709.78 : x;
  std::uint64_t kb;
  const double r = detail::reduce(x, kb);
  // 2^k as 2^{k1}·2^{k2}, k1 = floor(k/2): both factors stay normal for k ≥ −1076.
  const std::int64_t k = static_cast<std::int64_t>(kb - std::bit_cast<std::uint64_t>(detail::kShifter));
  const std::int64_t k1 = k >> 1;
  const std::int64_t k2 = k - k1;
  const double s1 = std::bit_cast<double>(static_cast<std::uint64_t>(k1 + 1023) << 52);
  const double s2 = std::bit_cast<double>(static_cast<std::uint64_t>(k2 + 1023) << 52);
  const double p = detail::expm1_reduced(r);
  return ((p + 1.0) * s1) * s2;
}

/// e^x − 1 for x ≥ 0 (x clamped to ≤ 709).
inline double expm1_nonneg(double x) {
  x = x > 709.0 ? 709.0 : x;
  std::uint64_t kb;
  const double r = detail::reduce(x, kb);
  const double s = detail::pow2(kb);
  const double p = detail::expm1_reduced(r);
  return s * p + (s - 1.0);
}

inline double tanh(double x) {
  const double ax = x < 0 ? -x : x;
  const double e = expm1_nonneg(2.0 * (ax > 40.0 ? 40.0 : ax));
  const double t = e / (e + 2.0);
  return x < 0 ? -t : t;
}

/// 1/(1 + e^{−x}).
inline double logistic(double x) {
  const double ax = x < 0 ? -x : x;
  const double e = simd::exp(-ax);
  const double q = 1.0 / (1.0 + e);
  return x < 0 ? e * q : q;
}

/// log(1 + u) for 0 ≤ u ≤ 1: 2 atanh(q), q = u/(2+u) ≤ 1/3, series to q^35 (error < 1e-18).
inline double log1p_unit(double u) {
  const double q = u / (2.0 + u);
  const double q2 = q * q;
  double p = 1.0 / 35.0;
  for (int j = 33; j >= 1; j -= 2) p = p * q2 + 1.0 / j;
  return 2.0 * q * p;
}

/// log(1 + e^{βz})/β without overflow, and its derivative, the logistic function of βz.
inline double softplus(double z, double beta) {
  const double bz = beta * z;
  const double e = simd::exp(bz < 0 ? bz : -bz);
  return ((bz > 0 ? bz : 0.0) + log1p_unit(e)) / beta;
}

// Array versions (defined in simd_math.cpp, compiled vectorised): y may alias x.
void tanh(const double* x, double* y, Index n);
void logistic(const double* x, double* y, Index n);
void exp(const double* x, double* y, Index n);

}  // namespace gradflow::simd
