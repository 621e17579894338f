// Benchmark 0: the two-layer right-hand side against its two GEMMs alone.
// For each size and activation, one run times, interleaved and as medians of repeats:
//   gemm   Z = X Wᵀ (n×m) and G = Mᵀ X (m×d) into preallocated storage — the limit;
//   rhs    TwoLayer::residual_gradient (forward, residual, gradient; fused kernel);
//   naive  the same maths as plain Eigen expressions with temporaries (the previous code);
//   tanh   simd::tanh over the n×m entries alone (its share of the tanh RHS), and std::tanh
//          over the same entries with the share it would take in an RHS using it
//          (RHS − simd pass + std pass);
//   bitwise whether f and g are bitwise equal with 1 and 2 threads.
// Sizes from (n=100, d=10, m=1000) to (n=1000, d=100, m=10000); threads 1 and 2.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "common.hpp"

using namespace gradflow;

#ifdef GRADFLOW_BENCH_OPENBLAS
extern "C" {
void dgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
            const int* ldc);
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
}
#endif

namespace {

/// The instruction set the kernels were compiled for.
const char* isa() {
#if defined(__AVX512F__)
  return "AVX-512";
#elif defined(__AVX2__)
  return "AVX2";
#else
  return "SSE2";
#endif
}

#ifdef GRADFLOW_BENCH_OPENBLAS
/// C = op(A) op(B) through OpenBLAS (column-major, as Eigen's Mat).
void blas_gemm(bool ta, bool tb, const Mat& A, const Mat& B, Index rows, Index cols, Index depth, Mat& C) {
  const int m = int(rows), n = int(cols), k = int(depth), lda = int(A.rows()), ldb = int(B.rows()), ldc = int(C.rows());
  const double one = 1.0, zero = 0.0;
  dgemm_(ta ? "T" : "N", tb ? "T" : "N", &m, &n, &k, &one, A.data(), &lda, B.data(), &ldb, &zero, C.data(), &ldc);
}
#endif

struct Net {
  Mat X;
  Vec y, theta;
  TwoLayer model;
};

Net make(Index n, Index d, Index m, Activation act, bool train_outer) {
  Rng rng(42);
  Mat X = rng.normal(n, d);
  X.rowwise().normalize();
  Vec y = rng.normal(n, 1);
  TwoLayerOptions o;
  o.width = m;
  o.activation = act;
  o.scale = 1.0 / std::sqrt(double(m));
  o.train_outer = train_outer;
  Vec a = rng.uniform(m, 1, 0, 1).unaryExpr([](double u) { return u < 0.5 ? -1.0 : 1.0; });
  Vec theta(m * d + (train_outer ? m : 0));
  theta.head(m * d) = Eigen::Map<Vec>(rng.normal(m, d).data(), m * d);
  if (train_outer) theta.tail(m) = a;
  return Net{X, y, theta, TwoLayer(X, o, a)};
}

/// The straightforward implementation (Eigen expressions, temporaries, scalar tanh).
void naive_rhs(const Net& net, Activation act, Vec& f, Vec& g) {
  const Index d = net.X.cols(), m = net.model.width();
  const auto W = net.model.weights(net.theta);
  const auto a = net.model.outer(net.theta);
  const double s = net.model.options().scale;
  const Mat Z = net.X * W.transpose();
  Mat phi, dphi;
  if (act == Activation::relu) {
    phi = Z.cwiseMax(0.0);
    dphi = (Z.array() > 0.0).cast<double>();
  } else {
    phi = Z.array().tanh();
    dphi = 1.0 - phi.array().square();
  }
  f = s * (phi * a);
  const Vec r = f - net.y;
  g.resize(net.model.num_params());
  const Mat M = ((dphi.array().colwise() * r.array()).rowwise() * (s * a).transpose().array()).matrix();
  Eigen::Map<Mat>(g.data(), m, d).noalias() = M.transpose() * net.X;
  if (net.model.options().train_outer) g.tail(m) = s * (phi.transpose() * r);
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::stoi(argv[1]) : 7;
  struct Size { Index n, d, m; };
  const Size sizes[] = {{100, 10, 1000}, {300, 30, 3000}, {1000, 10, 1000}, {1000, 100, 10000}};
  struct Case { const char* name; Activation act; bool train; };
  const Case cases[] = {{"relu2", Activation::relu, false}, {"relu", Activation::relu, true}, {"tanh", Activation::tanh, true}};
  std::string load;
  std::getline(std::ifstream("/proc/loadavg"), load);
  std::printf("## Right-hand side vs its two GEMMs (median of %d repeats; times in ms; kernels built for %s)\n\n",
              repeats, isa());
  std::printf("Load average at start (other processes on the 2 cores): %s\n\n", load.c_str());
#ifdef GRADFLOW_BENCH_OPENBLAS
  std::printf("OpenBLAS kernels: %s (OPENBLAS_CORETYPE, set by bench/run.sh for the instruction set built for).\n\n",
              openblas_get_corename());
#endif
  std::printf("| n | d | m | net | thr | 2 GEMMs Eigen | 2 GEMMs OpenBLAS | RHS | RHS / fastest GEMMs | naive RHS | naive/RHS "
              "| tanh pass | tanh share | std::tanh pass | its share | 1 vs 2 thr bitwise |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Size& sz : sizes) {
    for (const Case& c : cases) {
      Net net = make(sz.n, sz.d, sz.m, c.act, c.train);
      Mat Z(sz.n, sz.m), G(sz.m, sz.d);
      Mat M = Mat::Random(sz.n, sz.m);
      Vec f, g, f1, g1;
      const auto W = net.model.weights(net.theta);
      for (int thr : {1, 2}) {
        bench::set_threads(thr);
        net.model.residual_gradient(net.theta, net.y, 1.0, f, g);
        if (thr == 1) f1 = f, g1 = g;
        const bool same = std::memcmp(f.data(), f1.data(), sizeof(double) * f.size()) == 0 &&
                          std::memcmp(g.data(), g1.data(), sizeof(double) * g.size()) == 0;
        std::vector<double> tg, tb, tr, tn, tt, ts;
#ifdef GRADFLOW_BENCH_OPENBLAS
        openblas_set_num_threads(thr);
        const Mat Wm = W;
#endif
        for (int k = 0; k < repeats; ++k) {
          tg.push_back(bench::time_per_call([&] {
            Z.noalias() = net.X * W.transpose();
            G.noalias() = M.transpose() * net.X;
          }));
#ifdef GRADFLOW_BENCH_OPENBLAS
          tb.push_back(bench::time_per_call([&] {
            blas_gemm(false, true, net.X, Wm, sz.n, sz.m, sz.d, Z);
            blas_gemm(true, false, M, net.X, sz.m, sz.d, sz.n, G);
          }));
#endif
          tr.push_back(bench::time_per_call([&] { net.model.residual_gradient(net.theta, net.y, 1.0, f, g); }));
          if (thr == 1) tn.push_back(bench::time_per_call([&] { naive_rhs(net, c.act, f, g); }));
          if (c.act == Activation::tanh) {
            tt.push_back(bench::time_per_call([&] { simd::tanh(Z.data(), M.data(), Z.size()); }));
            if (thr == 1)
              ts.push_back(bench::time_per_call([&] {
                const double* z = Z.data();
                double* o = M.data();
                for (Index k = 0; k < Z.size(); ++k) o[k] = std::tanh(z[k]);
              }));
          }
        }
        const double mg = bench::median(tg), mr = bench::median(tr);
        const double mb = tb.empty() ? mg : bench::median(tb);
        std::printf("| %ld | %ld | %ld | %s | %d | %.3f |", long(sz.n), long(sz.d), long(sz.m), c.name, thr, 1e3 * mg);
        if (!tb.empty()) std::printf(" %.3f |", 1e3 * mb);
        else std::printf(" – |");
        std::printf(" %.3f | **%.2f** |", 1e3 * mr, mr / std::min(mg, mb));
        if (!tn.empty()) std::printf(" %.3f | %.1f× |", 1e3 * bench::median(tn), bench::median(tn) / mr);
        else std::printf(" – | – |");
        if (!tt.empty()) std::printf(" %.3f | %.0f%% |", 1e3 * bench::median(tt), 100 * bench::median(tt) / mr);
        else std::printf(" – | – |");
        if (!ts.empty()) {
          const double mt = bench::median(tt), ms = bench::median(ts);
          std::printf(" %.3f | %.0f%% |", 1e3 * ms, 100 * ms / (mr - mt + ms));
        } else {
          std::printf(" – | – |");
        }
        std::printf(" %s |\n", thr == 1 ? "–" : same ? "yes" : "**no**");
        std::fflush(stdout);
      }
    }
  }
  std::printf("\nthr = 2: the bare GEMMs use Eigen's threads (from ~10⁵ flops on); the RHS uses threads only\n"
              "from n·m·d ≥ 2^25 (TwoLayer), so at the three smaller sizes it runs serially. On two cores\n"
              "shared with other jobs (see the load average) a fork/join may wait a scheduler slice.\n"
              "tanh share: simd::tanh pass / RHS; its share: std::tanh pass / (RHS − simd pass + std pass).\n");
}
