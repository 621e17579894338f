#include "gradflow/theory/xu.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "gradflow/core/error.hpp"

namespace gradflow {

namespace {

double pos(double x) { return std::max(x, 0.0); }

/// Singular values, descending.
Vec singular_values(const Mat& A) {
  if (A.size() == 0) return Vec();
  return Eigen::BDCSVD<Mat>(A).singularValues();
}

/// Eigenvalues of a symmetric matrix, descending.
Vec eigenvalues_descending(const Mat& S) {
  const Vec asc = Eigen::SelfAdjointEigenSolver<Mat>(S, Eigen::EigenvaluesOnly).eigenvalues();
  return asc.reverse();
}

}  // namespace

void XuConstants::validate() const {
  if (!(c1 > 0.0 && c1 < 1.0)) throw input_error("Xu constants: need 0 < c1 < 1 (c1 multiplies α0)");
  if (!(c2 > 1.0) || !std::isfinite(c2)) throw input_error("Xu constants: need c2 > 1 (c2 multiplies β0)");
}

Mat linear2_imbalance(const Mat& W1, const Mat& W2) {
  if (W1.cols() != W2.rows()) throw input_error("linear2_imbalance: W1 is n×h and W2 must be h×m");
  return W1.transpose() * W1 - W2 * W2.transpose();
}

std::pair<double, double> tau_spectrum_bounds(const Mat& W1, const Mat& W2) {
  if (W1.cols() != W2.rows()) throw input_error("tau_spectrum_bounds: W1 is n×h and W2 must be h×m");
  const Vec e1 = eigenvalues_descending(W1 * W1.transpose());  // n
  const Vec e2 = eigenvalues_descending(W2.transpose() * W2);  // m
  return {pos(e1(e1.size() - 1)) + pos(e2(e2.size() - 1)), e1(0) + e2(0)};
}

namespace {

XuSpectralStep spectral_step(const Mat& X, double tau_min, double tau_max) {
  if (X.size() == 0) throw input_error("xu_spectral_step: empty X");
  const Vec sx = singular_values(X);
  XuSpectralStep s;
  s.K = sx(0) * sx(0);
  // μ needs N ≥ n (σ_min over all n columns), as eq. (21) does.
  // Numerically zero below max(N, n)·eps·σ_max, as xu_initial's rank.
  const double tol = static_cast<double>(std::max(X.rows(), X.cols())) * std::numeric_limits<double>::epsilon() * sx(0);
  s.mu = X.rows() >= X.cols() && sx(sx.size() - 1) > tol ? sx(sx.size() - 1) * sx(sx.size() - 1) : 0.0;
  if (!(s.mu > 0.0)) throw input_error("xu_spectral_step: σ_min(X) = 0, so the spectrum of XᵀX has no positive lower end");
  s.tau_min = tau_min;
  s.tau_max = tau_max;
  const double lo = s.mu * tau_min, hi = s.K * tau_max;
  s.eta = 2.0 / (hi + lo);
  s.contraction = (hi - lo) / (hi + lo);
  return s;
}

}  // namespace

XuSpectralStep xu_spectral_step(const Mat& X, const Mat& W1, const Mat& W2) {
  if (X.cols() != W1.rows()) throw input_error("xu_spectral_step: X is N×n and W1 must be n×h");
  const auto [lo, hi] = tau_spectrum_bounds(W1, W2);
  return spectral_step(X, lo, hi);
}

XuSpectralStep xu_spectral_step(const Mat& X) { return spectral_step(X, 1.0, 1.0); }

XuInitial xu_initial(const Mat& X, const Mat& Y, const Mat& W1, const Mat& W2) {
  XuInitial s;
  s.N = X.rows();
  s.n = X.cols();
  s.h = W1.cols();
  s.m = W2.cols();
  if (s.N == 0 || s.n == 0 || s.h == 0 || s.m == 0) throw input_error("xu_initial: empty matrix");
  if (W1.rows() != s.n || W2.rows() != s.h || Y.rows() != s.N || Y.cols() != s.m)
    throw input_error("xu_initial: need X N×n, Y N×m, W1 n×h, W2 h×m");

  const Vec sx = singular_values(X);
  s.sigma_max = sx(0);
  s.sigma_min = sx(sx.size() - 1);
  if (!(s.sigma_min > 0.0)) throw input_error("xu_initial: σ_min(X) = 0 (κ undefined)");
  s.kappa = (s.sigma_max / s.sigma_min) * (s.sigma_max / s.sigma_min);
  const double tol = static_cast<double>(std::max(s.N, s.n)) * std::numeric_limits<double>::epsilon() * s.sigma_max;
  s.rank = (sx.array() > tol).count();
  if (s.h < std::max(s.rank, s.m))
    throw input_error("xu_initial: the bounds need h >= max(rank(X), m) (an over-parametrised network)");

  const Vec sy = singular_values(Y);
  s.sigma_min_y = sy(sy.size() - 1);
  const Mat E = Y - X * (W1 * W2);
  s.loss0 = 0.5 * E.squaredNorm();
  const double e_norm = std::sqrt(2.0 * s.loss0);  // ‖E(0)‖_F

  // σ_k(W): σ_k(XW) ≤ σ_max(X)σ_k(W) and σ_k(XW) ≥ σ_k(Y) − ‖E‖ (Weyl); σ_k(Y) ≥ σ_min(Y) for
  // k ≤ min(N, m) and σ_k(Y) = 0 beyond. Upper: σ_max(W) ≤ ‖XW‖/σ_min(X) ≤ (‖Y‖_F + ‖E‖_F)/σ_min(X).
  const Index kmax = std::min(s.N, s.m);
  const auto p1_of = [&](Index k) { return k > kmax ? 0.0 : pos(s.sigma_min_y - e_norm) / s.sigma_max; };
  s.p1 = p1_of(std::min(s.n, s.m));
  s.p2 = (Y.norm() + e_norm) / s.sigma_min;

  s.imbalance_eigenvalues = eigenvalues_descending(linear2_imbalance(W1, W2));
  const Vec& lam = s.imbalance_eigenvalues;  // λ_1 ≥ … ≥ λ_h of D
  const Index h = s.h;
  const auto mu = [&](Index k) { return -lam(h - k); };  // k-th largest eigenvalue of −D (1-based)
  const auto la = [&](Index k) { return lam(k - 1); };   // k-th largest eigenvalue of D (1-based)

  const double dp = pos(la(1)), dm = pos(mu(1));
  s.beta0 = 0.5 * (dp + std::sqrt(dp * dp + 4.0 * s.p2 * s.p2)) + 0.5 * (dm + std::sqrt(dm * dm + 4.0 * s.p2 * s.p2));

  const Index r = std::max<Index>(s.rank, 1);
  const double d1 = pos(la(1)) - pos(la(r));
  const double d2 = pos(mu(1)) - pos(mu(s.m));
  const double d3 = pos(la(r)) + pos(mu(s.m));
  const double pm = p1_of(s.m), pr = p1_of(r);
  s.alpha0 = 0.5 * (-d1 + std::sqrt((d1 + d3) * (d1 + d3) + 4.0 * pm * pm)) +
             0.5 * (-d2 + std::sqrt((d2 + d3) * (d2 + d3) + 4.0 * pr * pr));
  return s;
}

double positive_cubic_root(double k3, double k2, double k1, double k0) {
  if (!(k0 > 0.0) || k1 < 0.0 || k2 < 0.0 || k3 < 0.0 || !(k1 + k2 + k3 > 0.0))
    throw input_error("positive_cubic_root: needs k0 > 0 and k1, k2, k3 >= 0, not all 0");
  // g(η) = k3η³ + k2η² + k1η − k0 is increasing on η ≥ 0 with g(0) < 0: bracket, then bisect.
  const auto g = [&](double e) { return e * (k1 + e * (k2 + e * k3)) - k0; };
  double lo = 0.0, hi = 1.0;
  while (g(hi) < 0.0) lo = hi, hi *= 2.0;
  while (g(0.5 * hi) > 0.0 && hi > std::numeric_limits<double>::min()) hi *= 0.5;
  for (int it = 0; it < 2000 && hi - lo > 4.0 * std::numeric_limits<double>::epsilon() * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (g(mid) < 0.0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double RatePolynomial::argmin() const {
  if (!(a2 > 0.0 || a3 > 0.0 || a4 > 0.0)) return std::numeric_limits<double>::infinity();
  if (!(a1 > 0.0)) return 0.0;
  return positive_cubic_root(4.0 * a4, 3.0 * a3, 2.0 * a2, a1);
}

RatePolynomial xu_rate_polynomial(double sigma_min, double sigma_max, double loss, double alpha0, double beta0,
                                  double p2, const XuConstants& c) {
  const double kappa = (sigma_max / sigma_min) * (sigma_max / sigma_min);
  const double s2 = sigma_min * sigma_min;
  const double s4 = s2 * s2, s6 = s4 * s2, s10 = s6 * s4;
  const double cb = c.c2 * beta0;
  RatePolynomial f;
  f.a1 = 2.0 * (c.c1 * alpha0) * s2;                                                    // eq. (26) a1
  f.a2 = 2.0 * std::sqrt(2.0 * kappa * loss * s6) * p2 + kappa * s4 * cb * cb;          // eq. (26) a2(t)
  f.a3 = 2.0 * std::sqrt(2.0 * kappa * kappa * kappa * loss * s10) * cb * p2;            // eq. (26) a3(t)
  f.a4 = 2.0 * kappa * kappa * s6 * p2 * p2 * loss;                                      // eq. (26) a4(t)
  return f;
}

XuRate::XuRate(XuInitial initial, XuConstants constants) : init_(std::move(initial)), c_(constants) {
  c_.validate();
  if (!(init_.alpha0 > 0.0)) throw input_error("XuRate: the theorem assumes α0 > 0");
}

XuRate::XuRate(const Mat& X, const Mat& Y, const Mat& W1, const Mat& W2, XuConstants constants)
    : XuRate(xu_initial(X, Y, W1, W2), constants) {}

RatePolynomial XuRate::f(double loss_t) const {
  return xu_rate_polynomial(init_.sigma_min, init_.sigma_max, loss_t, init_.alpha0, init_.beta0, init_.p2, c_);
}

double XuRate::eta_max_1() const {
  const RatePolynomial r = rho();
  const double extra = 4.0 * c_.c2 * init_.loss0 * init_.sigma_max * init_.sigma_max / (c_.c2 - 1.0);
  return positive_cubic_root(r.a4, r.a3, r.a2 + extra, r.a1);
}

double XuRate::eta_max_2() const {
  const RatePolynomial r = rho();
  const double extra =
      8.0 * c_.c2 * init_.beta0 * init_.loss0 * init_.sigma_max * init_.sigma_max / ((1.0 - c_.c1) * init_.alpha0);
  return positive_cubic_root(r.a4, r.a3, r.a2 + extra, r.a1);
}

double XuRate::asymptotic_rate() const {
  const RatePolynomial inf = f(0.0);
  return 1.0 - inf.a1 * inf.a1 / (4.0 * inf.a2);
}

}  // namespace gradflow
