#include "gradflow/core/types.hpp"
#include "gradflow/experiment/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "gradflow/core/error.hpp"
#include "gradflow/core/fit.hpp"
#include "gradflow/core/interrupt.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/observe/diagnostic.hpp"
#include "gradflow/observe/energy.hpp"

namespace gradflow {
namespace {


/// One method of a run: prepared first, run later, observed sample by sample.
class Execution {
 public:
  Execution(const Problem& problem, const MethodSpec& spec, const std::vector<double>& times,
            const std::vector<Observer*>& observers, std::map<std::string, std::vector<Vec>>& residuals)
      : problem_(problem),
        spec_(spec),
        observers_(observers),
        residuals_(residuals),
        ctx_(problem, spec, times, [this](const StateView& v) { return observe(v); }),
        run_(spec.descriptor().prepare(ctx_)),
        weight_flow_(spec.descriptor().space == Space::weights) {}

  MethodResult run() {
    MethodResult result{spec_, {}, {}, nan, {}, {}};
    table_ = &result.table;
    recorder_.emplace(diagnostics());
    result.table.columns = recorder_->columns();
    for (auto* o : observers_) o->on_begin(spec_.name, recorder_->columns());
    run_(ctx_);
    result.outcome = ctx_.outcome;
    if (stop_ && result.outcome.status == Status::completed) {
      result.outcome.status = stop_->status;
      result.outcome.message = stop_->message;
    }
    result.resolved = ctx_.resolved;
    result.switching = ctx_.switching;
    result.rate = fitted_rate(result.table);
    for (auto* o : observers_) o->on_end(spec_.name, result.outcome);
    return result;
  }

 private:
  Diagnostics diagnostics() {
    const MethodKind& kind = spec_.descriptor();
    const bool weights = kind.space == Space::weights || kind.space == Space::discrete;
    const Model& model = problem_.model();
    Diagnostics d;
    d.push_back(loss_diagnostic(weights));  // error/exact methods have no θ, so no gradient
    if (weights) d.push_back(distance_diagnostic(problem_.theta0()));
    if ((weights || spec_.carries_weights()) && model.num_outputs() <= problem_.experiment().run.lambda_min_max_n)
      d.push_back(lambda_min_diagnostic());
    if (weights) d.push_back(model_diagnostic(model, problem_.theta0()));
    if (weights && problem_.H0() && problem_.H0()->norm() > 0)
      d.push_back(ntk_change_diagnostic(problem_.c() * *problem_.H0()));
    d.push_back(energy_diagnostic(ctx_.energy));
    if ((kind.space == Space::error || kind.space == Space::exact) && !kind.twins.empty()) {
      const auto twin = residuals_.find(kind.twins.front());
      if (twin != residuals_.end()) d.push_back(error_gap_diagnostic(twin->second));
    }
    return d;
  }

  /// Records one sample; false stops the method (an observer's Stop).
  bool observe(const StateView& view) {
    Sample sample(problem_.objective(), view);
    auto row = recorder_->row(sample);
    table_->rows.push_back(row);
    if (weight_flow_) residuals_[spec_.kind].push_back(sample.residual());
    for (auto* o : observers_)
      if (auto stop = o->on_sample(spec_.name, row); stop && !stop_) stop_ = std::move(stop);
    return !stop_;
  }

  const Problem& problem_;
  const MethodSpec& spec_;
  const std::vector<Observer*>& observers_;
  std::map<std::string, std::vector<Vec>>& residuals_;
  MethodContext ctx_;
  MethodRun run_;
  const bool weight_flow_;  ///< its Δ is kept for the error methods' gap (looked up once, not per sample)
  Table* table_ = nullptr;
  std::optional<Recorder> recorder_;
  std::optional<Stop> stop_;
};

}  // namespace

double fitted_rate(const Table& table) {
  const auto t = table.values("t"), loss = table.values("loss");
  std::vector<std::pair<double, double>> pts;
  if (t.empty()) return nan;
  const double half = t.front() + 0.5 * (t.back() - t.front());
  for (std::size_t i = 0; i < t.size(); ++i)
    if (t[i] >= half && loss[i] > 0 && std::isfinite(loss[i])) pts.emplace_back(t[i], std::log(loss[i]));
  if (pts.size() < 3) return nan;
  return -fit_line(pts).slope;
}

RunResult run_experiment(const Experiment& e, const std::vector<Observer*>& observers, const RunHooks& hooks) {
  const auto start = std::chrono::steady_clock::now();
  const Problem problem(e);
  RunResult r;
  r.n = problem.data().n();
  r.d = problem.data().d();
  r.k = problem.data().k();
  r.num_params = problem.model().num_params();
  r.data_name = problem.data().name;
  r.data_provenance = problem.data().provenance;
  r.loss0 = problem.loss0();
  r.lambda_min_h0 = problem.lambda_min_h0();
  r.lambda0 = problem.lambda0();
  r.lambda0_source = problem.lambda0_source();

  // The stop rules are observers too, after the caller's (which see every row first).
  DivergenceStop divergence(e.run.divergence, problem.loss0());
  LossTargetStop target(e.run.loss_target);
  InterruptStop interrupt;
  std::vector<Observer*> all = observers;
  all.push_back(&divergence);
  all.push_back(&target);
  all.push_back(&interrupt);

  // Every method is prepared (its numbers resolved and checked) before the first one runs.
  const std::vector<double> times = sample_times(e.run);
  std::map<std::string, std::vector<Vec>> residuals;  // Δ at each sample of the weight flows, by kind
  std::vector<std::unique_ptr<Execution>> runs;
  for (const auto& m : e.methods) runs.push_back(std::make_unique<Execution>(problem, m, times, all, residuals));
  for (const auto& m : e.methods) r.methods.push_back(MethodResult{m, {}, {Status::pending, 0.0, {}, {}}, nan, {}, {}});
  if (hooks.on_progress) hooks.on_progress(r);

  // Weight-space flows first, so the error-space methods can measure their gap to them;
  // results keep the order of the experiment file.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < e.methods.size(); ++i)
    if (e.methods[i].descriptor().space == Space::weights) order.push_back(i);
  for (std::size_t i = 0; i < e.methods.size(); ++i)
    if (e.methods[i].descriptor().space != Space::weights) order.push_back(i);
  for (const std::size_t i : order) {
    if (i < hooks.skip.size() && hooks.skip[i]) continue;
    if (interrupt_signal()) break;  // the rest stay pending
    r.methods[i] = runs[i]->run();
    if (hooks.on_progress) hooks.on_progress(r);
  }
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

double MethodResult::final_value(const std::string& column) const {
  const int c = table.column(column);
  return table.rows.empty() || c < 0 ? nan : table.rows.back()[static_cast<std::size_t>(c)];
}

}  // namespace gradflow
