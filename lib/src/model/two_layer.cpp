#include "gradflow/model/two_layer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "gradflow/core/simd_math.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gradflow {

TwoLayer::TwoLayer(Mat X, TwoLayerOptions options, Vec a_fixed)
    : X_(std::move(X)), options_(options), a_fixed_(std::move(a_fixed)) {
  // The fused kernels specialise relu, tanh and softplus; a linear two-layer net is linear2.
  if (options_.activation == Activation::identity) throw std::invalid_argument("TwoLayer: no identity activation");
}

Index TwoLayer::num_params() const { return width() * X_.cols() + (options_.train_outer ? width() : 0); }

Eigen::Map<const Vec> TwoLayer::outer(const Vec& theta) const {
  if (options_.train_outer) return {theta.data() + width() * X_.cols(), width()};
  return {a_fixed_.data(), width()};
}

void TwoLayer::activate(const Mat& Z, Mat* phi, Mat* dphi) const {
  gradflow::activate(options_.activation, options_.beta, Z, phi, dphi);
}

namespace {

/// Per-thread scratch of the fused kernels: reused across calls, so a right-hand side
/// allocates nothing once the sizes are known.
struct Workspace {
  Mat Z;   ///< n×m: Z = X Wᵀ, then overwritten in place with what the second GEMM needs
  Mat P;   ///< n×m: softplus values when the outer layer is trained
  Mat XR;  ///< n×d: diag(r) X
  Vec r;
  Mat tile;                          ///< ReLU: one cached tile of Z, then of the pattern
  std::vector<unsigned char> mask;   ///< ReLU: the pattern 1[Z > 0], n×m column-major
  Mat fpart;                         ///< ReLU: f's partial sums, one column per block of units
};

Workspace& workspace() {
  thread_local Workspace w;
  return w;
}

/// The residual r = c (s f − y), with f scaled by s in place (or r = r_in when f is not
/// computed), and XR = diag(r) X, the second GEMM's right factor.
const Vec& weigh_rows(Workspace& ws, const Mat& X, double s, double c, Vec* f, const Vec* y, const Vec* r_in) {
  if (f) {
    *f *= s;
    ws.r.noalias() = c * (*f - *y);
  } else {
    ws.r = *r_in;
  }
  ws.XR.noalias() = ws.r.asDiagonal() * X;
  return ws.r;
}

/// Elementwise passes run on both cores only where the memory traffic pays for the fork
/// (measured by bench/rhs_bench.cpp). Every partition keeps the per-entry summation order,
/// so results do not depend on the thread count.
constexpr Index kParallelEntries = 1 << 17;

/// Below this GEMM work (n·m·d multiply-adds) everything runs on one thread: Eigen would
/// otherwise fork its GEMMs from ~10⁵ flops on, and on two cores shared with other jobs a
/// fork/join can wait a scheduler time slice (rhs_bench measured 0.15 ms → 36 ms at the
/// smallest size). Above it, Eigen's GEMMs and the elementwise passes use the OpenMP threads.
constexpr double kParallelWork = 1 << 25;

/// The ReLU kernel's tiles of Z: up to 256 rows and 32768 entries (256 KiB), so that a tile
/// stays in L2 from the GEMM that writes it to the pass that reads it. Untiled, Z (7 MB at
/// n = 300, m = 3000) went to memory and back three times, which made the kernel memory-bound
/// on AVX2 machines.
constexpr Index kTileRows = 256;
constexpr Index kTileEntries = 1 << 15;

/// Units per tile: 128 for n ≥ 256, more for fewer rows (a multiple of 8), so that the tiles'
/// GEMMs do not get too thin. It depends on n alone, as the summation order must.
Index tile_units(Index n) { return std::max<Index>(128, kTileEntries / std::clamp<Index>(n, 1, kTileRows) / 8 * 8); }

bool threaded(Index n, Index m, Index d) { return double(n) * double(m) * double(d) >= kParallelWork; }

Index max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// How the ReLU kernel splits an n×m problem: `threads` share the `blocks` of `units` units each
/// (tiles of `rows` rows); the split depends on n and m only, as the summation order must.
struct Tiling {
  Index threads, units, rows, blocks;
  Tiling(Index n, Index m, Index d)
      : threads(threaded(n, m, d) ? std::min<Index>(max_threads(), std::max<Index>(1, n / 8)) : 1),
        units(tile_units(n)),
        rows(std::min(n, kTileRows)),
        blocks((m + units - 1) / units) {}
};

/// While alive, Eigen's GEMMs run on one thread (Eigen reads omp_get_max_threads() unless
/// Eigen::setNbThreads was called); the caller's thread count is restored afterwards.
class SerialGemms {
 public:
  explicit SerialGemms(bool on) : on_(on) {
#ifdef _OPENMP
    if (on_) {
      saved_ = omp_get_max_threads();
      omp_set_num_threads(1);
    }
#endif
  }
  ~SerialGemms() {
#ifdef _OPENMP
    if (on_) omp_set_num_threads(saved_);
#endif
  }
  SerialGemms(const SerialGemms&) = delete;
  SerialGemms& operator=(const SerialGemms&) = delete;

 private:
  bool on_;
  int saved_ = 1;
};

}  // namespace

// The fused right-hand side (g = Jᵀ r, with r = c (f − y) when `y` is given), tanh and softplus
// (ReLU: fused_relu):
//   1. Z = X Wᵀ                                   (GEMM 1)
//   2. one pass over Z, row blocks × columns:     f_i += a_r σ(z_ir);  Z ← σ'(Z)  (T for tanh)
//   3. r = c (f − y);  XR = diag(r) X             (n×d)
//   4. tanh only, one pass over columns:          ∂a_r = s Σ_i T_ir r_i;  T ← 1 − T²
//   5. B = σ'(Z)ᵀ XR                               (GEMM 2, m×d);  ∂W = s diag(a) B
void TwoLayer::fused(const Vec& theta, const Vec* y, double c, const Vec* r_in, Vec* f, Vec& g) const {
  if (options_.activation == Activation::relu) return fused_relu(theta, y, c, r_in, f, g);
  const Index n = X_.rows(), d = X_.cols(), m = width();
  const auto W = weights(theta);
  const auto a = outer(theta);
  const double s = options_.scale;
  const bool train = options_.train_outer;
  const Activation act = options_.activation;
  Workspace& ws = workspace();
  const bool threads = threaded(n, m, d);
  const bool par = threads && n * m >= kParallelEntries && max_threads() > 1;
  const SerialGemms serial(!threads);
  ws.Z.resize(n, m);
  ws.Z.noalias() = X_ * W.transpose();

  const bool need_f = (f != nullptr);
  if (need_f) f->setZero(n);
  if (act == Activation::softplus && train) ws.P.resize(n, m);
  const Index nb = par ? std::max<Index>(1, std::min<Index>(max_threads(), n / 8)) : 1;
  const Index rows_per = ((n + nb - 1) / nb + 7) / 8 * 8;
  double* const Zd = ws.Z.data();
  double* const Pd = ws.P.data();
  double* const fd = need_f ? f->data() : nullptr;
  const double beta = options_.beta;

#pragma omp parallel for schedule(static) num_threads(nb) if (par)
  for (Index blk = 0; blk < nb; ++blk) {
    const Index i0 = std::min(n, blk * rows_per), i1 = std::min(n, i0 + rows_per);
    for (Index r = 0; r < m; ++r) {
      double* __restrict z = Zd + r * n;
      double* __restrict fo = fd;
      const double ar = a[r];
      switch (act) {
        case Activation::tanh:
          if (need_f) {
#pragma omp simd
            for (Index i = i0; i < i1; ++i) {
              const double t = simd::tanh(z[i]);
              fo[i] += ar * t;
              z[i] = t;
            }
          } else {
#pragma omp simd
            for (Index i = i0; i < i1; ++i) z[i] = simd::tanh(z[i]);
          }
          break;
        case Activation::softplus: {
          double* __restrict p = Pd + r * n;
          const bool keep = train;
#pragma omp simd
          for (Index i = i0; i < i1; ++i) {
            const double bz = beta * z[i];
            const double e = simd::exp(bz < 0 ? bz : -bz);
            const double q = 1.0 / (1.0 + e);
            const double sp = ((bz > 0 ? bz : 0.0) + simd::log1p_unit(e)) / beta;
            if (need_f) fo[i] += ar * sp;
            if (keep) p[i] = sp;
            z[i] = bz < 0 ? e * q : q;
          }
          break;
        }
        case Activation::relu:      // fused_relu
        case Activation::identity:  // refused by the constructor
          break;
      }
    }
  }

  const Vec& r = weigh_rows(ws, X_, s, c, f, y, r_in);

  g.resize(num_params());
  Eigen::Map<Vec> ga(g.data() + m * d, train ? m : 0);
  if (train && act == Activation::tanh) {
    const double* rd = r.data();
#pragma omp parallel for schedule(static) if (par)
    for (Index k = 0; k < m; ++k) {
      double* __restrict t = Zd + k * n;
      double acc = 0.0;
#pragma omp simd reduction(+ : acc)
      for (Index i = 0; i < n; ++i) {
        const double v = t[i];
        acc += v * rd[i];
        t[i] = 1.0 - v * v;
      }
      ga[k] = s * acc;
    }
  } else if (act == Activation::tanh) {
#pragma omp parallel for schedule(static) if (par)
    for (Index k = 0; k < m; ++k) {
      double* __restrict t = Zd + k * n;
#pragma omp simd
      for (Index i = 0; i < n; ++i) t[i] = 1.0 - t[i] * t[i];
    }
  } else if (train && act == Activation::softplus) {
    ga.noalias() = s * (ws.P.transpose() * r);
  }

  Eigen::Map<Mat> gW(g.data(), m, d);
  gW.noalias() = ws.Z.transpose() * ws.XR;
  gW.array().colwise() *= (s * a.array());
}

// ReLU in tiles of 256 rows × tile_units(n) units, the blocks of units split between the threads:
//   pass 1: per tile Z_t = X_rows W_unitsᵀ, then f_block += Z_t⁺ a_units, and the pattern
//           1[Z_t > 0] is stored as bytes; f = Σ over the blocks, in block order;
//   pass 2: ∂W_units = Σ over row tiles of 1[Z_t]ᵀ XR_rows, the pattern expanded tile by tile.
// Each entry is summed by one thread in an order fixed by n and m, so results do not depend
// on the thread count. ∂a needs no pass of its own: σ is positively homogeneous, so
//   ∂a_r = s Σ_i max(z_ir, 0) r_i = s Σ_i 1[z_ir > 0] r_i x_iᵀ w_r = s w_rᵀ B_r   (O(md)).
void TwoLayer::fused_relu(const Vec& theta, const Vec* y, double c, const Vec* r_in, Vec* f, Vec& g) const {
  const Index n = X_.rows(), d = X_.cols(), m = width();
  const auto W = weights(theta);
  const auto a = outer(theta);
  const double s = options_.scale;
  Workspace& ws = workspace();
  const Tiling tiling(n, m, d);
  const Index nt = tiling.threads, tu = tiling.units, ld = tiling.rows, blocks = tiling.blocks;
  const SerialGemms serial(true);  // the tiles' GEMMs are small: the threads split the tiles instead
  ws.mask.resize(static_cast<std::size_t>(n) * m);
  unsigned char* const mask = ws.mask.data();
  const bool need_f = (f != nullptr);
  if (need_f) f->setZero(n);

  if (need_f) ws.fpart.resize(n, blocks);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (Index b = 0; b < blocks; ++b) {
    Mat& T = workspace().tile;
    T.resize(ld, tu);
    const Index r0 = b * tu, units = std::min(tu, m - r0);
    double* __restrict fo = need_f ? ws.fpart.col(b).data() : nullptr;
    if (need_f) ws.fpart.col(b).setZero();
    for (Index i0 = 0; i0 < n; i0 += kTileRows) {
      const Index rows = std::min(kTileRows, n - i0);
      auto Zt = T.topLeftCorner(rows, units);
      Zt.noalias() = X_.middleRows(i0, rows) * W.middleRows(r0, units).transpose();
      for (Index k = 0; k < units; ++k) {
        const double* __restrict z = T.data() + k * ld;
        unsigned char* __restrict p = mask + (r0 + k) * n + i0;
        if (need_f) {
          const double ar = a[r0 + k];
#pragma omp simd
          for (Index i = 0; i < rows; ++i) {
            const double v = z[i];
            fo[i0 + i] += ar * (v > 0.0 ? v : 0.0);
            p[i] = v > 0.0;
          }
        } else {
#pragma omp simd
          for (Index i = 0; i < rows; ++i) p[i] = z[i] > 0.0;
        }
      }
    }
  }
  if (need_f) {
    for (Index b = 0; b < blocks; ++b) *f += ws.fpart.col(b);
  }

  weigh_rows(ws, X_, s, c, f, y, r_in);
  const Mat& XR = ws.XR;

  g.resize(num_params());
  Eigen::Map<Mat> gW(g.data(), m, d);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (Index b = 0; b < blocks; ++b) {
    Mat& T = workspace().tile;
    T.resize(ld, tu);
    const Index r0 = b * tu, units = std::min(tu, m - r0);
    auto G = gW.middleRows(r0, units);
    for (Index i0 = 0; i0 < n; i0 += kTileRows) {
      const Index rows = std::min(kTileRows, n - i0);
      for (Index k = 0; k < units; ++k) {
        const unsigned char* __restrict p = mask + (r0 + k) * n + i0;
        double* __restrict col = T.data() + k * ld;
#pragma omp simd
        for (Index i = 0; i < rows; ++i) col[i] = p[i];
      }
      const auto Dt = T.topLeftCorner(rows, units);
      if (i0 == 0) {
        G.noalias() = Dt.transpose() * XR.middleRows(i0, rows);
      } else {
        G.noalias() += Dt.transpose() * XR.middleRows(i0, rows);
      }
    }
  }
  if (options_.train_outer) {
    Eigen::Map<Vec>(g.data() + m * d, m).noalias() = s * W.cwiseProduct(gW).rowwise().sum();
  }
  gW.array().colwise() *= (s * a.array());
}

void TwoLayer::predict(const Vec& theta, Vec& f) const {
  const Index n = X_.rows(), m = width();
  const SerialGemms serial(!threaded(n, m, X_.cols()));
  Workspace& ws = workspace();
  ws.Z.resize(n, m);
  ws.Z.noalias() = X_ * weights(theta).transpose();
  const auto a = outer(theta);
  f.setZero(n);
  double* __restrict fo = f.data();
  const double beta = options_.beta;
  for (Index r = 0; r < m; ++r) {
    const double* __restrict z = ws.Z.data() + r * n;
    const double ar = a[r];
    switch (options_.activation) {
      case Activation::relu:
#pragma omp simd
        for (Index i = 0; i < n; ++i) fo[i] += ar * (z[i] > 0.0 ? z[i] : 0.0);
        break;
      case Activation::tanh:
#pragma omp simd
        for (Index i = 0; i < n; ++i) fo[i] += ar * simd::tanh(z[i]);
        break;
      case Activation::softplus:
#pragma omp simd
        for (Index i = 0; i < n; ++i) fo[i] += ar * simd::softplus(z[i], beta);
        break;
      case Activation::identity:  // refused by the constructor
        break;
    }
  }
  f *= options_.scale;
}

void TwoLayer::gradient(const Vec& theta, const Vec& r, Vec& g) const { fused(theta, nullptr, 1.0, &r, nullptr, g); }

void TwoLayer::residual_gradient(const Vec& theta, const Vec& y, double c, Vec& f, Vec& g) const {
  fused(theta, &y, c, nullptr, &f, g);
}

void TwoLayer::jvp(const Vec& theta, const Vec& v, Vec& Jv) const {
  const SerialGemms serial(!threaded(X_.rows(), width(), X_.cols()));
  const Mat Z = X_ * weights(theta).transpose();
  Mat phi, dphi;
  activate(Z, options_.train_outer ? &phi : nullptr, &dphi);
  const Eigen::Map<const Mat> V(v.data(), width(), X_.cols());
  const Mat dZ = X_ * V.transpose();
  Jv.noalias() = options_.scale * (dphi.cwiseProduct(dZ) * outer(theta));
  if (options_.train_outer) Jv.noalias() += options_.scale * (phi * v.tail(width()));
}

void TwoLayer::ntk(const Vec& theta, Mat& H) const {
  // Forming H costs n²m: thread by that work, not by the right-hand side's n·m·d.
  const SerialGemms serial(!threaded(X_.rows(), width(), X_.rows()));
  const Mat Z = X_ * weights(theta).transpose();
  Mat phi, dphi;
  activate(Z, options_.train_outer ? &phi : nullptr, &dphi);
  const double s2 = options_.scale * options_.scale;
  const Mat Da = dphi * outer(theta).cwiseAbs().asDiagonal();  // σ'(Z) diag(|a|)
  H.noalias() = Da * Da.transpose();
  H.array() *= (X_ * X_.transpose()).array();
  if (options_.train_outer) H.noalias() += phi * phi.transpose();
  H *= s2;
}

std::vector<std::string> TwoLayer::diagnostic_columns() const {
  if (options_.activation != Activation::relu) return {};
  std::vector<std::string> cols{"pattern_change", "max_w_change"};
  if (options_.train_outer) cols.push_back("balance");
  return cols;
}

void TwoLayer::diagnostics(const Vec& theta, const Vec& theta0, std::span<double> out) const {
  if (options_.activation != Activation::relu) return;
  const auto W = weights(theta), W0 = weights(theta0);
  const Mat Z = X_ * W.transpose(), Z0 = X_ * W0.transpose();
  // Du et al.: fraction of (i, r) whose activation differs from the one at t = 0.
  out[0] = ((Z.array() > 0.0) != (Z0.array() > 0.0)).cast<double>().mean();
  out[1] = (W - W0).rowwise().norm().maxCoeff();
  if (options_.train_outer) {
    // a_k² − ‖w_k‖² is conserved by gradient flow for positively homogeneous σ.
    const Vec c = outer(theta).array().square() - W.rowwise().squaredNorm().array();
    const Vec c0 = outer(theta0).array().square() - W0.rowwise().squaredNorm().array();
    out[2] = (c - c0).cwiseAbs().maxCoeff();
  }
}

}  // namespace gradflow

// ---- PiecewiseLinear: the switching integrators' view (docs/switching.md) -----------------

namespace gradflow {

void TwoLayer::preactivations(const double* theta, Mat& Z) const { Z.noalias() = X_ * unit_weights(theta).transpose(); }

void TwoLayer::preactivation_rates(const double*, const double* theta_dot, Mat& Zd) const {
  Zd.noalias() = X_ * unit_weights(theta_dot).transpose();  // z is linear in W
}

double TwoLayer::preactivation(const double* theta, Index i, Index r) const {
  const Index m = width(), d = X_.cols();
  double z = 0.0;
  for (Index j = 0; j < d; ++j) z += X_(i, j) * theta[r + j * m];
  return z;
}

void TwoLayer::pattern_predict(const double* theta, const Mat& Z, const Mat& A, Vec& f) const {
  const Index n = Z.rows(), m = width();
  const double* __restrict av = outer_ptr(theta);
  f.setZero(n);
  double* __restrict fo = f.data();
  for (Index r = 0; r < m; ++r) {  // one pass over A and Z, no n×m temporary
    const double* __restrict z = Z.data() + r * n;
    const double* __restrict p = A.data() + r * n;
    const double ar = av[r];
#pragma omp simd
    for (Index i = 0; i < n; ++i) fo[i] += ar * (p[i] * z[i]);
  }
  f *= options_.scale;
}

void TwoLayer::pattern_rate(const double* theta, const double* theta_dot, const Mat& Z, const Mat& Zd, const Mat& A,
                            Vec& fdot) const {
  // f_i = s Σ_r a_r A_ir z_ir: ḟ_i = s Σ_r A_ir (a_r ż_ir + ȧ_r z_ir), ȧ = 0 when a is fixed.
  const Index n = Z.rows(), m = width();
  const double* __restrict av = outer_ptr(theta);
  const double* __restrict ad = options_.train_outer ? theta_dot + m * X_.cols() : nullptr;
  fdot.setZero(n);
  double* __restrict fo = fdot.data();
  for (Index r = 0; r < m; ++r) {
    const double* __restrict z = Z.data() + r * n;
    const double* __restrict zd = Zd.data() + r * n;
    const double* __restrict p = A.data() + r * n;
    const double ar = av[r], adr = ad ? ad[r] : 0.0;
#pragma omp simd
    for (Index i = 0; i < n; ++i) fo[i] += p[i] * (ar * zd[i] + adr * z[i]);
  }
  fdot *= options_.scale;
}

void TwoLayer::pattern_backward(const double* theta, const Mat& A, const Vec& r, double* g) const {
  weigh_rows(workspace(), X_, options_.scale, 1.0, nullptr, nullptr, &r);
  pattern_backward_rows(theta, A, g);
}

void TwoLayer::pattern_backward_rows(const double* theta, const Mat& A, double* g) const {
  const Index n = X_.rows(), d = X_.cols(), m = width();
  const double s = options_.scale;
  const Eigen::Map<const Mat> W = unit_weights(theta);
  const Eigen::Map<const Vec> a(outer_ptr(theta), m);
  Workspace& ws = workspace();
  const Tiling tiling(n, m, d);
  const Index nt = tiling.threads, tu = tiling.units, blocks = tiling.blocks;
  const SerialGemms serial(true);
  const Mat& XR = ws.XR;
  Eigen::Map<Mat> gW(g, m, d);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (Index b = 0; b < blocks; ++b) {
    const Index r0 = b * tu, units = std::min(tu, m - r0);
    auto G = gW.middleRows(r0, units);
    for (Index i0 = 0; i0 < n; i0 += kTileRows) {
      const Index rows = std::min(kTileRows, n - i0);
      const auto At = A.block(i0, r0, rows, units);
      if (i0 == 0) {
        G.noalias() = At.transpose() * XR.middleRows(i0, rows);
      } else {
        G.noalias() += At.transpose() * XR.middleRows(i0, rows);
      }
    }
  }
  // ∂L/∂a_r = s Σ_i res_i A_ir x_iᵀw_r = s w_rᵀ(Σ_i A_ir res_i x_i): the unit's row before its gain.
  if (options_.train_outer) Eigen::Map<Vec>(g + m * d, m).noalias() = s * W.cwiseProduct(gW).rowwise().sum();
  gW.array().colwise() *= (s * a.array());
}

void TwoLayer::pattern_gradient(const double* theta, const Mat& A, const Vec& y, double c, PatternWork& w,
                                double* g) const {
  // fused_relu's tiles, with the given pattern A in place of 1[Z > 0] (σ(z) → A z, σ' → A):
  // Z is formed tile by tile and never stored, and the second pass reads A's tiles directly.
  const Index n = X_.rows(), d = X_.cols(), m = width();
  const double s = options_.scale;
  const Eigen::Map<const Mat> W = unit_weights(theta);
  const Eigen::Map<const Vec> a(outer_ptr(theta), m);
  Workspace& ws = workspace();
  const Tiling tiling(n, m, d);
  const Index nt = tiling.threads, tu = tiling.units, ld = tiling.rows, blocks = tiling.blocks;
  const SerialGemms serial(true);
  ws.fpart.resize(n, blocks);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (Index b = 0; b < blocks; ++b) {
    Mat& T = workspace().tile;
    T.resize(ld, tu);
    const Index r0 = b * tu, units = std::min(tu, m - r0);
    double* __restrict fo = ws.fpart.col(b).data();
    ws.fpart.col(b).setZero();
    for (Index i0 = 0; i0 < n; i0 += kTileRows) {
      const Index rows = std::min(kTileRows, n - i0);
      T.topLeftCorner(rows, units).noalias() = X_.middleRows(i0, rows) * W.middleRows(r0, units).transpose();
      for (Index k = 0; k < units; ++k) {
        const double* __restrict z = T.data() + k * ld;
        const double* __restrict p = A.data() + (r0 + k) * n + i0;
        const double ar = a[r0 + k];
#pragma omp simd
        for (Index i = 0; i < rows; ++i) fo[i0 + i] += ar * (p[i] * z[i]);
      }
    }
  }
  w.f.setZero(n);
  for (Index b = 0; b < blocks; ++b) w.f += ws.fpart.col(b);
  weigh_rows(ws, X_, s, c, &w.f, &y, nullptr);
  pattern_backward_rows(theta, A, g);
  w.res = ws.r;
}

}  // namespace gradflow
