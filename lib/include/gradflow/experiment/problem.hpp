#pragma once
// The problem every command sets up the same way from an experiment: seeded data, the model
// and θ0, the objective, Δ0 and L(0), H(θ0) where it can be formed, H∞ where the model has
// one, and λ0 of the theory.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gradflow/experiment/experiment.hpp"

namespace gradflow {

class Problem {
 public:
  /// Data from the first split of the seed, θ0 from the second (as every command has done).
  explicit Problem(const Experiment& experiment);
  Problem(const Problem&) = delete;
  Problem& operator=(const Problem&) = delete;

  const Experiment& experiment() const { return experiment_; }
  const Dataset& data() const { return data_; }
  const Model& model() const { return *instance_.model; }
  const Vec& theta0() const { return instance_.theta0; }
  const Objective& objective() const { return *objective_; }

  double c() const { return objective_->scale(); }  ///< K = cH
  const Vec& delta0() const { return delta0_; }
  double loss0() const { return loss0_; }
  const std::optional<Mat>& H0() const { return H0_; }      ///< H(θ0), when n·k ≤ run.lambda_min_max_n
  const std::optional<Mat>& H_inf() const { return Hinf_; } ///< where the model kind has one
  double lambda_min_h0() const { return lambda_min_h0_; }   ///< NaN when H0 is not formed
  double lambda0() const { return lambda0_; }               ///< of H (unnormalised)
  const std::string& lambda0_source() const { return lambda0_source_; }  ///< "H_inf" or "H(theta0)"

  /// What expressions see: lambda0 and lambda_min of K = cH, and n.
  std::map<std::string, double> variables() const;
  /// c·H for `kernel` = frozen (H(θ0)) or infinite (H∞); `key` names the method's key in errors.
  Mat kernel_matrix(const std::string& kernel, const std::string& key) const;

 private:
  const Experiment& experiment_;
  Dataset data_;
  ModelInstance instance_;
  std::optional<Objective> objective_;
  Vec delta0_;
  double loss0_ = 0.0;
  std::optional<Mat> H0_, Hinf_;
  double lambda_min_h0_, lambda0_;
  std::string lambda0_source_;
};

}  // namespace gradflow
