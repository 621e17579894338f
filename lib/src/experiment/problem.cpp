#include "gradflow/experiment/problem.hpp"

#include <limits>

#include "gradflow/core/error.hpp"
#include "gradflow/observe/sample.hpp"

namespace gradflow {

Problem::Problem(const Experiment& e)
    : experiment_(e), lambda_min_h0_(std::numeric_limits<double>::quiet_NaN()) {
  Rng rng(e.seed);
  Rng data_rng = rng.split(), model_rng = rng.split();
  data_ = make_dataset(e.data, data_rng);
  instance_ = build_model(e.model, data_, model_rng);
  objective_.emplace(*instance_.model, data_.Y, e.reduction);
  delta0_ = objective_->residual(instance_.theta0);
  loss0_ = objective_->loss_of_residual(delta0_);
  if (instance_.model->num_outputs() <= e.run.lambda_min_max_n) {
    Mat H;
    instance_.model->ntk(instance_.theta0, H);
    lambda_min_h0_ = lambda_min(H);
    H0_ = std::move(H);
  }
  if (const auto& infinite = e.model.descriptor().infinite_kernel) Hinf_ = infinite(e.model.params, data_);
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
