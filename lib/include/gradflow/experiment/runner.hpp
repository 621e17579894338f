#pragma once
// Runs every method of an experiment on one problem (experiment/problem.hpp), feeding each
// sample's row to the observers. Every method is prepared (its numbers resolved and checked)
// before the first one runs.
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "gradflow/experiment/experiment.hpp"
#include "gradflow/observe/sink.hpp"

namespace gradflow {

struct MethodResult {
  MethodSpec spec;
  Table table;
  Outcome outcome;
  double rate = 0.0;  ///< fitted exponential decay rate of the loss (see fitted_rate)
  /// Numbers resolved at run time (damping a, β, μ, α, t0, ...), recorded in run.json.
  std::map<std::string, double> resolved;
  /// Event statistics of the switching integrator (ReLU flows), recorded in run.json.
  std::map<std::string, double> switching;

  /// The last value of a column (NaN when the method wrote no row).
  double final_value(const std::string& column) const;
};

struct RunResult {
  Index n = 0, d = 0, k = 0, num_params = 0;
  std::string data_name, data_provenance;
  double loss0 = 0.0;
  double lambda_min_h0 = 0.0;            ///< λ_min(H(θ0)), NaN when H is too large to form
  double lambda0 = 0.0;                  ///< λ0 of the theory (see lambda0_source)
  std::string lambda0_source;            ///< "H_inf" or "H(theta0)"
  std::vector<MethodResult> methods;
  double wall_seconds = 0.0;
};

/// What a caller can add to a run (experiment/resumable_run.hpp uses both).
struct RunHooks {
  /// Methods not to run (by index), e.g. those a resumed run already finished; their results
  /// stay `pending`. A weight flow whose twin error method runs must not be skipped.
  std::vector<bool> skip;
  /// Called once every method is prepared (all pending), and after each method ends.
  std::function<void(const RunResult&)> on_progress;
};

/// Runs the methods in order (weight flows first). After SIGINT/SIGTERM (core/interrupt.hpp)
/// the running method ends `interrupted` and the rest stay `pending`.
RunResult run_experiment(const Experiment& experiment, const std::vector<Observer*>& observers,
                         const RunHooks& hooks = {});

/// −slope of a least-squares fit of log(loss) against t over the second half of the
/// samples (the asymptotic regime); NaN when fewer than three positive finite losses remain.
double fitted_rate(const Table& table);

}  // namespace gradflow
