// Benchmark 3: full-batch GD by gradflow against PyTorch (CPU, float64).
// The same net, data, θ0 and step η on both sides (MATH.md §2, sum squared loss):
//   tanh   two_layer, NTK scaling 1/√m, both layers trained;
//   relu2  Du et al., a = ±1 fixed, only W trained.
// gradflow runs its `gd` method step (gradient_descent: Objective::value_gradient, the fused
// two-GEMM kernel); the peer (bench/python/gd_peer.py) runs a hand-written gradient and autograd,
// and the faster of the two is the baseline. Both use 2 threads (Eigen/OpenMP; torch.set_num_threads(2)).
// The final θ of each side is compared, so both ran the same iteration.
//   gd_bench [seconds per side]
#include <cstdio>
#include <string>
#include <vector>

#include "common.hpp"
#include "gradflow/gradflow.hpp"
#include "peers.hpp"

using namespace gradflow;

int main(int argc, char** argv) {
  const double target_seconds = argc > 1 ? std::stod(argv[1]) : 3.0;
  const int threads = 2;
  bench::set_threads(threads);
  struct Size { Index n, d, m; };
  const std::vector<Size> sizes = {{100, 10, 1000}, {300, 30, 3000}, {1000, 100, 10000}};
  const char* nets[] = {"relu2", "tanh"};

  std::printf("## Full-batch GD: gradflow vs PyTorch (CPU, float64, %d threads each)\n\n", threads);
  std::printf("Same data (unit-sphere inputs, Gaussian labels, seed 2024), θ0 and η = 0.5/n; sum squared loss. "
              "gradflow: its `gd` step (Objective::value_gradient, fused two-GEMM kernel, loss included). "
              "PyTorch: hand-written gradient under no_grad (manual) and loss.backward() (autograd); "
              "speed-up against the faster. Both sides run the same number of iterations after a warm-up; "
              "`agree` = ‖θ_torch − θ_gradflow‖ / ‖θ_gradflow − θ0‖ after them (manual, autograd). "
              "The peer stops early once it has spent twice gradflow's time budget (iteration counts then differ; "
              "agreement is checked at its count). "
              "Load average at start: %s.\n\n", bench::loadavg().c_str());
  std::printf("| net | n | d | m | params | iters | gradflow it/s | torch manual it/s | torch autograd it/s | speed-up | agree |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);

  std::string peer_info;
  for (const char* net : nets) {
    const bool relu2 = std::string(net) == "relu2";
    for (const Size& sz : sizes) {
      Rng rng(2024);
      DataOptions dopt;
      dopt.kind = "sphere";
      dopt.n = sz.n;
      dopt.d = sz.d;
      const Dataset data = make_dataset(dopt, rng);
      ModelOptions mo;
      mo.kind = relu2 ? "relu2" : "two_layer";
      mo.activation = relu2 ? "relu" : "tanh";
      mo.scaling = "ntk";
      mo.width = sz.m;
      const ModelInstance inst = make_model(mo, data, rng);
      const auto& model = dynamic_cast<const TwoLayer&>(*inst.model);
      const Objective obj(model, data.Y, Reduction::sum);
      const double eta = 0.5 / static_cast<double>(sz.n);
      Step step = gradient_descent(obj, eta);

      // Calibrate the iteration count to about target_seconds, then run it once, timed.
      Vec theta = inst.theta0;
      step(0, theta);  // warm-up (scratch buffers, thread pool)
      step(1, theta);
      const double t_iter = bench::time_per_call([&] { step(0, theta); }, 0.2);
      const long iters = std::max(5L, static_cast<long>(target_seconds / t_iter));
      theta = inst.theta0;
      const double t0 = bench::now();
      for (long k = 0; k < iters; ++k) step(k, theta);
      const double gf_wall = bench::now() - t0;
      const double gf_ips = iters / gf_wall;

      bench::ScratchDir dir;
      bench::write_bin(dir.file("X.bin"), data.X);
      bench::write_bin(dir.file("y.bin"), data.Y);
      bench::write_bin(dir.file("theta0.bin"), inst.theta0);
      if (relu2) bench::write_bin(dir.file("a.bin"), model.outer(inst.theta0));
      char args[512];
      std::snprintf(args, sizeof args, "dir=%s net=%s n=%ld d=%ld m=%ld s=%.17g eta=%.17g iters=%ld threads=%d wall=%g",
                    dir.path.c_str(), net, long(sz.n), long(sz.d), long(sz.m), model.options().scale, eta, iters, threads,
                    2 * target_seconds);
      std::vector<std::string> info;
      const auto recs = bench::run_peer("gd_peer.py", args, &info);
      if (peer_info.empty() && !info.empty()) peer_info = info.front();
      double ips[2] = {0, 0}, agree[2] = {0, 0};
      for (const auto& r : recs) {
        const int k = r.str("impl") == "manual" ? 0 : 1;
        ips[k] = r.num("iters") / r.num("wall");
        const Vec th = bench::read_bin(dir.file("theta_" + r.str("impl") + ".bin"), theta.size());
        // A peer stopped by its wall budget is compared with gradflow after as many iterations.
        const long done = static_cast<long>(r.num("iters"));
        Vec same = theta;
        if (done != iters) {
          same = inst.theta0;
          for (long j = 0; j < done; ++j) step(j, same);
        }
        agree[k] = (th - same).norm() / (same - inst.theta0).norm();
      }
      std::printf("| %s | %ld | %ld | %ld | %ld | %ld | %.4g | %.4g | %.4g | %.2f× | %.1e, %.1e |\n", net, long(sz.n),
                  long(sz.d), long(sz.m), long(theta.size()), iters, gf_ips, ips[0], ips[1],
                  gf_ips / std::max(ips[0], ips[1]), agree[0], agree[1]);
      std::fflush(stdout);
    }
  }
  std::printf("\nLoad average at end: %s.\n", bench::loadavg().c_str());
  std::printf("\nPeer: %s, %s\n", bench::python().c_str(), peer_info.c_str());
  std::printf("\nCommand: `bash bench/run.sh gd_bench` (runs `build-bench/bin/gd_bench %g` with "
              "GRADFLOW_PYTHON=/usr/bin/python3 GRADFLOW_BENCH_DIR=bench).\n",
              target_seconds);
  return 0;
}
