#pragma once
// `gradflow compare`: discrete methods against their flows over a grid of step sizes
// (MATH.md §6). For each discrete kind of the experiment and each η, the iterates θ_k are
// compared with each flow twin its kind declares, at t = k·time_unit(η), the flow integrated
// once, tightly, with samples at every discrete time of the grid. GD's twins are gf and the
// modified flow θ̇ = −∇(L + (η/4)‖∇L‖²), which it tracks to O(η²).
#include <map>
#include <string>
#include <vector>

#include "gradflow/experiment/experiment.hpp"

namespace gradflow {

struct CompareOptions {
  std::vector<double> etas;  ///< step sizes; empty: {2.5, 1, 1/2, 1/4, 1/8}/λ_max(∇²L(θ0))
  double horizon = 0.0;      ///< flow time compared; 0 uses run.t_end
  double rtol = 1e-10;       ///< the flows are integrated this tightly
  double atol = 1e-12;
};

/// One (pair, η) of compare.csv.
struct CompareRow {
  std::string method;        ///< "<discrete>_vs_<flow>", one series of the figure
  std::string discrete, flow;
  double eta = 0.0, dt = 0.0;       ///< dt = η or √η: the flow time of one iteration
  long iterations = 0;
  double max_param_dev = 0.0;       ///< max_k ‖θ_k − θ(k dt)‖
  double max_loss_dev = 0.0;        ///< max_k |L(θ_k) − L(θ(k dt))|
  double imbalance_drift = 0.0;     ///< max_k drift of the model's invariant (NaN when none)
  double stability_limit = 0.0;     ///< the method's step limit on the quadratic model at θ0
  bool stable = true;               ///< η below stability_limit
  /// Diverged, or ended farther from the flow's endpoint than half the flow's travel from θ0
  /// (‖θ_K − θ(T)‖ > ½‖θ(T) − θ0‖): it went somewhere else. Inside the basin the gap is O(η).
  bool left_basin = false;
  double final_param_dev = 0.0, flow_travel = 0.0;
  double final_loss = 0.0, flow_final_loss = 0.0;
};

struct CompareResult {
  std::vector<CompareRow> rows;
  /// Per series: fitted slope of log(max_param_dev) and of log(max_loss_dev) against log η,
  /// over the rows that stayed in the basin.
  std::map<std::string, std::pair<double, double>> slopes;
  double hessian_lambda_max = 0.0;  ///< λ_max(∇²L(θ0))
  std::vector<std::string> skipped; ///< discrete methods not compared, with why
  double horizon = 0.0;
  double wall_seconds = 0.0;
};

CompareResult run_compare(const Experiment& experiment, const CompareOptions& options);

/// Writes compare.csv (schema in plot/figure.hpp) and compare.json into `dir`.
void write_compare(const std::string& dir, const Experiment& experiment, const CompareOptions& options,
                   const CompareResult& result);

/// A table for the terminal.
std::string compare_summary(const CompareResult& result);

}  // namespace gradflow
