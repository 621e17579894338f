#pragma once
// An experiment: data, model, loss, run settings and a list of methods, resolved from a
// TOML description (docs/experiment.md lists every key; `gradflow keys` prints them).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gradflow/data/dataset.hpp"
#include "gradflow/experiment/config.hpp"
#include "gradflow/integrate/integrate.hpp"
#include "gradflow/loss/objective.hpp"
#include "gradflow/registry/method_kind.hpp"
#include "gradflow/registry/model_kind.hpp"

namespace gradflow {

struct RunOptions {
  double t_end = 10.0;
  long samples = 201;             ///< number of sample times on [0, t_end]
  std::string grid = "linear";    ///< linear | log
  double loss_target = 0.0;       ///< stop a method once its loss falls below this
  double divergence = 1e8;        ///< a loss above divergence·L(0) counts as diverged
  long lambda_min_max_n = 2000;   ///< evaluate λ_min(H) only when H is at most this size
};

struct Experiment {
  std::uint64_t seed = 1;
  DataOptions data;
  ModelSpec model;
  Reduction reduction = Reduction::sum;
  LossSpec loss;  ///< loss.kind and loss.p
  RunOptions run;
  std::vector<MethodSpec> methods;
  nlohmann::json resolved;  ///< the full configuration, defaults included
};

/// The embedded default experiment, as documented TOML text.
const std::string& default_experiment_toml();

/// Reads every key (recording defaults), validates, and rejects unknown keys.
Experiment parse_experiment(Config& config);

/// What every output folder records: version, seed, resolved configuration, loss reduction.
nlohmann::json provenance(const Experiment& e);

/// Sample times on [0, t_end] of the run's grid.
std::vector<double> sample_times(const RunOptions& run);

}  // namespace gradflow
