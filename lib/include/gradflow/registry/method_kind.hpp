#pragma once
// A method kind: everything the commands need to know about one `methods.N.kind`, declared
// in the kind's own source file (lib/src/kinds/) and found by name. `run`, `compare`,
// `theory`, `plot` and the recipes read these descriptors; none of them switches on a name.
//
// A kind runs in two phases, both through a MethodContext:
//   prepare(ctx)  resolves its numbers (damping, β, t0, ...) into ctx.resolved, sets the
//                 Lyapunov dynamics in ctx.energy and validates; every method of an
//                 experiment is prepared before the first one runs;
//   the returned Run integrates or iterates, handing each sample to ctx.observe through
//                 one of the context's drivers.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gradflow/core/outcome.hpp"
#include "gradflow/discrete/iterate.hpp"
#include "gradflow/flow/momentum.hpp"
#include "gradflow/integrate/integrate.hpp"
#include "gradflow/observe/energy.hpp"
#include "gradflow/observe/sample.hpp"
#include "gradflow/registry/keys.hpp"
#include "gradflow/registry/registry.hpp"

namespace gradflow {

class Problem;
struct MethodKind;

/// Where a method lives (MATH.md §3).
enum class Space {
  weights,   ///< a flow on θ
  discrete,  ///< an iteration on θ
  error,     ///< an ODE on Δ
  exact      ///< a closed form of the error dynamics
};
std::string to_string(Space space);

/// One `[[methods]]` entry, resolved.
struct MethodSpec {
  std::string kind;
  std::string name;             ///< unique; names the CSV file
  Params params;                ///< the kind's own keys
  IntegrateOptions integrate;   ///< run.* settings, overridable per flow
  std::string switching = "auto";  ///< weight flows of piecewise-linear models: auto | exact | off

  const MethodKind& descriptor() const;
  /// The step size η of discrete methods (and of the η-dependent flows); 0 when it has none.
  double eta() const { return params.has("eta") ? params.number("eta") : 0.0; }
  /// An error method whose kernel co-evolves with weights it integrates alongside (θ is observed).
  bool carries_weights() const { return params.has("kernel") && params.text("kernel") == "coupled"; }
};

class MethodContext;
using MethodRun = std::function<void(MethodContext&)>;

struct MethodKind {
  std::string name;
  std::string summary;           ///< one line: the dynamics
  Space space = Space::weights;
  int order = 1;                 ///< 2 for second-order dynamics (state [θ; v] or [Δ; Δ̇])
  /// Discrete methods: the flows `compare` measures them against, the first being their
  /// own (figures give both one colour). Error and exact methods: the weight flow whose Δ they predict.
  std::vector<std::string> twins = {};
  /// Discrete methods: flow time per iteration, t = k·time_unit(η) (η or √η).
  std::function<double(double eta)> time_unit = nullptr;
  /// Discrete methods: the largest stable η on a quadratic of curvature lmax (for `compare`).
  std::function<double(const MethodContext&, double eta, double lmax)> stability_limit = nullptr;
  /// The step is the theorem's, not the `eta` key (which is then only the time unit).
  bool step_from_theory = false;
  /// Gradient flow itself: the figures draw Du et al.'s bound beside it.
  bool gradient_flow = false;
  /// Its field differentiates the gradient (Hessian terms), which piecewise-linear models
  /// lack: `run` refuses it there and `compare` skips it as a twin.
  bool smooth_only = false;
  /// Why its dynamics or step assume the squared loss (a closed form of the linear
  /// Δ̇ = −cHΔ, a theorem's step for ½‖Δ‖²); empty: any loss. parse_experiment refuses a
  /// kind with a reason when loss.kind = lp and p ≠ 2, naming the key and the reason.
  std::string squared_loss_only = {};
  std::vector<KeySpec> keys = {};
  /// The name when the file gives none (null: the kind's name).
  std::function<std::string(const Params&)> default_name = nullptr;
  /// Checks the kind's keys right after they are read (before any data exist).
  std::function<void(const Params&, const std::string& prefix)> validate = nullptr;
  std::function<MethodRun(MethodContext&)> prepare;
  /// Numbers the `theory` command adds for a method of this kind.
  std::function<void(const Problem&, const MethodSpec&, double delta, nlohmann::json&)> theory = nullptr;

  bool discrete() const { return space == Space::discrete; }
  /// Integrated by a stepper (weights and error flows): the run.* integrator keys apply.
  bool integrated() const { return space == Space::weights || space == Space::error; }
};

inline Registry<MethodKind>& method_kinds() { return Registry<MethodKind>::instance(); }

/// One method on one problem: what its kind's prepare and run see.
class MethodContext {
 public:
  /// Receives each observed state; returning false stops the method.
  using Observer = std::function<bool(const StateView&)>;

  MethodContext(const Problem& problem, const MethodSpec& spec, std::vector<double> times, Observer observer);

  const Problem& problem() const { return problem_; }
  const MethodSpec& spec() const { return spec_; }
  const MethodKind& kind() const { return kind_; }
  /// The sample times on [0, t_end].
  const std::vector<double>& times() const { return times_; }

  /// Evaluates an expression key of the method with lambda0, lambda_min, n, gamma and eta.
  double value(const std::string& key) const;
  /// "methods.NAME.key", for messages.
  std::string key(const std::string& name) const;

  // Set by prepare.
  std::map<std::string, double> resolved;  ///< recorded in run.json
  EnergyOptions energy;                    ///< the Lyapunov columns' dynamics

  // Drivers for a kind's run; each fills outcome (and switching for piecewise-linear models).
  /// A first-order flow on θ. `switchable`: the plain field is −∇L, so piecewise-linear
  /// models are integrated across their switching surfaces unless spec.switching = off.
  void flow_on_weights(const System& plain, bool switchable);
  /// θ̈ + a(t)θ̇ + ∇L = 0 from rest. `singular_gamma` > 0 means a = γ/t: the start is
  /// observed at t = 0 and the flow starts from the series state at t0.
  void second_order_on_weights(const Damping& damping, double singular_gamma = 0.0, double t0 = 0.0);
  /// An iteration on θ (first order) or on the momentum state [x; x⁻; y] sampled at t = k·dt.
  void iterate_on_weights(const Step& step, double dt, bool momentum);
  /// A first-order flow on a state [θ; aux] whose first P entries are θ (aux: an optimiser's
  /// accumulators, e.g. [θ; m; v]); θ is observed. Never switched: such fields are not −∇L.
  void flow_on_augmented_weights(const System& system, const Vec& x0);
  /// An iteration on [θ; aux] from x0, sampled at t = k·dt; the first P entries are observed.
  void iterate_on_augmented_weights(const Step& step, const Vec& x0, double dt);
  /// The error ODE with a constant or coupled kernel; `singular_gamma` as above.
  void error_flow(const std::string& kernel, const Damping& damping, double singular_gamma = 0.0, double t0 = 0.0);
  /// A closed form (Δ(t), Δ̇(t)) for the constant K = c·H of `kernel`, evaluated at every sample time.
  using ClosedForm = std::function<std::pair<Vec, Vec>(double t)>;
  void closed_form(const std::string& kernel, const std::function<ClosedForm(const Mat& K)>& solve);

  /// Observes a state (false: stop).
  bool observe(const StateView& view) { return observer_(view); }

  Outcome outcome;
  std::map<std::string, double> switching;  ///< the switching integrator's counters

 private:
  const Problem& problem_;
  const MethodSpec& spec_;
  const MethodKind& kind_;
  std::vector<double> times_;
  Observer observer_;
};

/// Refuses a discrete method whose horizon is shorter than one step or needs more iterations
/// than its budget (spec.integrate.max_steps); `horizon_key` names where the horizon comes from.
void check_discrete_horizon(const MethodSpec& spec, double horizon, const std::string& horizon_key);

/// min(1e-3, first sample interval / 10) unless the `t0` key sets it: the start of γ/t flows,
/// whose series start is accurate to O(t0³).
double nesterov_start_time(const MethodSpec& spec, const std::vector<double>& times);

}  // namespace gradflow
