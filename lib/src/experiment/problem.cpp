#include "gradflow/experiment/problem.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <vector>

#include "gradflow/core/error.hpp"
#include "gradflow/observe/sample.hpp"

namespace gradflow {

namespace {

/// Refuses, before anything is allocated, a problem whose largest arrays would not fit: the data
/// X (n×d), the model's state and work matrices, H(θ0) (n·k ≤ run.lambda_min_max_n) and H∞.
void check_memory(const Experiment& e, Index n, Index d, Index k) {
  constexpr double limit = 8.0 * 1024 * 1024 * 1024;  // one machine's worth; far above every recipe
  const double N = static_cast<double>(n), nk = N * static_cast<double>(k);
  std::vector<MemoryTerm> terms{{static_cast<double>(d) >= N ? "data.d" : "data.n", "X (n x d)", 8.0 * N * static_cast<double>(d)}};
  const ModelKind& kind = e.model.descriptor();
  if (kind.memory)
    for (auto& t : kind.memory(e.model.params, n, d, k)) terms.push_back(std::move(t));
  // The matrix, its eigensolver's copy and the λ_min column's workspace.
  if (nk <= static_cast<double>(e.run.lambda_min_max_n)) terms.push_back({"data.n", "H(theta0) (nk x nk)", 8.0 * 3.0 * nk * nk});
  if (kind.infinite_kernel) terms.push_back({"data.n", "H_inf (n x n)", 8.0 * 3.0 * N * N});
  double total = 0;
  for (const auto& t : terms) total += t.bytes;
  if (total <= limit) return;
  std::sort(terms.begin(), terms.end(), [](const MemoryTerm& a, const MemoryTerm& b) { return a.bytes > b.bytes; });
  const double gib = 1024.0 * 1024 * 1024;
  char buf[160];
  std::snprintf(buf, sizeof buf, ": the problem needs about %.3g GiB of memory, more than the %.0f GiB limit (", total / gib,
                limit / gib);
  std::string msg = terms.front().key + buf;
  for (std::size_t i = 0; i < std::min<std::size_t>(terms.size(), 3); ++i) {
    std::snprintf(buf, sizeof buf, "%s%s: %.3g GiB", i ? "; " : "", terms[i].what.c_str(), terms[i].bytes / gib);
    msg += buf;
  }
  std::snprintf(buf, sizeof buf, "; n = %ld, d = %ld)", static_cast<long>(n), static_cast<long>(d));
  throw input_error(msg + buf);
}

bool synthetic(const DataOptions& d) {
  return d.kind == "sphere" || d.kind == "gaussian" || d.kind == "teacher" || d.kind == "linear";
}

}  // namespace

Problem::Problem(const Experiment& e)
    : experiment_(e), lambda_min_h0_(std::numeric_limits<double>::quiet_NaN()) {
  Rng rng(e.seed);
  Rng data_rng = rng.split(), model_rng = rng.split();
  // Synthetic sizes are known before the data are drawn; loaded sets are checked once read.
  if (synthetic(e.data)) check_memory(e, e.data.n, e.data.d, e.data.k);
  data_ = make_dataset(e.data, data_rng);
  check_memory(e, data_.n(), data_.d(), data_.k());
  instance_ = build_model(e.model, data_, model_rng);
  objective_.emplace(*instance_.model, data_.Y, e.reduction, e.loss);
  delta0_ = objective_->residual(instance_.theta0);
  loss0_ = objective_->loss_of_residual(delta0_);
  if (instance_.model->num_outputs() <= e.run.lambda_min_max_n) {
    Mat H;
    instance_.model->ntk(instance_.theta0, H);
    lambda_min_h0_ = lambda_min(H);
    H0_ = std::move(H);
  }
  if (const auto& infinite = e.model.descriptor().infinite_kernel)
    if (Mat H = infinite(e.model.params, data_); H.size()) Hinf_ = std::move(H);
  lambda0_ = Hinf_ ? lambda_min(*Hinf_) : lambda_min_h0_;
  lambda0_source_ = Hinf_ ? "H_inf" : "H(theta0)";
}

std::map<std::string, double> Problem::variables() const {
  // Expressions see the effective λ0 (eigenvalue of K = cH), so "sqrt(2*lambda0)" is
  // Bu et al.'s damping for either loss convention.
  return {{"lambda0", c() * lambda0_}, {"lambda_min", c() * lambda_min_h0_}, {"n", static_cast<double>(data_.n())}};
}

Mat Problem::kernel_matrix(const std::string& kernel, const std::string& key) const {
  if (kernel == "infinite") {
    if (!Hinf_) throw input_error(key + ": 'infinite' needs a model kind with an infinite-width kernel (relu2: Du et al.'s H_inf)");
    return c() * *Hinf_;
  }
  if (!H0_) throw input_error(key + ": H(theta0) is too large to form (raise run.lambda_min_max_n)");
  return c() * *H0_;
}

}  // namespace gradflow
