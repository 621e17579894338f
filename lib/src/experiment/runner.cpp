#include "gradflow/experiment/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/fit.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/observe/diagnostic.hpp"
#include "gradflow/observe/energy.hpp"

namespace gradflow {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// ‖Δ(t) − Δ_twin(t)‖ against the recorded samples of the weight-space twin.
class ErrorGap final : public Diagnostic {
 public:
  explicit ErrorGap(const std::vector<Vec>& twin) : twin_(twin) {}
  std::vector<std::string> columns() const override { return {"error_gap"}; }
  void evaluate(Sample& s, std::span<double> out) override {
    out[0] = next_ < twin_.size() ? (s.residual() - twin_[next_]).norm() : nan;
    ++next_;
  }

 private:
  const std::vector<Vec>& twin_;
  std::size_t next_ = 0;
};

/// ntk_change = ‖K(θ) − K(θ0)‖_F / ‖K(θ0)‖_F: how far the kernel moves (lazy training).
class NtkChange final : public Diagnostic {
 public:
  explicit NtkChange(Mat K0) : K0_(std::move(K0)), norm0_(K0_.norm()) {}
  std::vector<std::string> columns() const override { return {"ntk_change"}; }
  void evaluate(Sample& s, std::span<double> out) override { out[0] = (s.kernel() - K0_).norm() / norm0_; }

 private:
  Mat K0_;
  double norm0_;
};

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
      d.push_back(std::make_unique<NtkChange>(problem_.c() * *problem_.H0()));
    d.push_back(energy_diagnostic(ctx_.energy));
    if ((kind.space == Space::error || kind.space == Space::exact) && !kind.twins.empty()) {
      const auto twin = residuals_.find(kind.twins.front());
      if (twin != residuals_.end()) d.push_back(std::make_unique<ErrorGap>(twin->second));
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

RunResult run_experiment(const Experiment& e, const std::vector<Observer*>& observers) {
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
  std::vector<Observer*> all = observers;
  all.push_back(&divergence);
  all.push_back(&target);

  // Every method is prepared (its numbers resolved and checked) before the first one runs.
  const std::vector<double> times = sample_times(e.run);
  std::map<std::string, std::vector<Vec>> residuals;  // Δ at each sample of the weight flows, by kind
  std::vector<std::unique_ptr<Execution>> runs;
  for (const auto& m : e.methods) runs.push_back(std::make_unique<Execution>(problem, m, times, all, residuals));

  // Weight-space flows first, so the error-space methods can measure their gap to them;
  // results keep the order of the experiment file.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < e.methods.size(); ++i)
    if (e.methods[i].descriptor().space == Space::weights) order.push_back(i);
  for (std::size_t i = 0; i < e.methods.size(); ++i)
    if (e.methods[i].descriptor().space != Space::weights) order.push_back(i);
  r.methods.resize(e.methods.size());
  for (const std::size_t i : order) r.methods[i] = runs[i]->run();
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

double MethodResult::final_value(const std::string& column) const {
  const int c = table.column(column);
  return table.rows.empty() || c < 0 ? nan : table.rows.back()[static_cast<std::size_t>(c)];
}

nlohmann::json run_report(const Experiment& e, const RunResult& r) {
  auto finite_or_null = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  nlohmann::json j = provenance(e);
  j["data"] = {{"name", r.data_name}, {"provenance", r.data_provenance}, {"n", r.n}, {"d", r.d}, {"k", r.k}};
  j["model"] = {{"kind", e.model.kind}, {"num_params", r.num_params}};
  j["loss0"] = r.loss0;
  j["lambda_min_H0"] = finite_or_null(r.lambda_min_h0);
  j["lambda0"] = finite_or_null(r.lambda0);
  j["lambda0_source"] = r.lambda0_source;
  j["wall_seconds"] = r.wall_seconds;
  for (const auto& m : r.methods) {
    nlohmann::json mj;
    mj["name"] = m.spec.name;
    mj["kind"] = m.spec.kind;
    mj["status"] = to_string(m.outcome.status);
    mj["message"] = m.outcome.message;
    mj["t_reached"] = m.outcome.t;
    mj["rows"] = m.table.rows.size();
    mj["csv"] = m.spec.name + ".csv";
    mj["fitted_rate"] = finite_or_null(m.rate);
    for (const auto& [k, v] : m.resolved) mj["resolved"][k] = v;
    const MethodKind& kind = m.spec.descriptor();
    if (!m.table.rows.empty()) mj["final_loss"] = finite_or_null(m.final_value("loss"));
    if (kind.discrete()) {
      mj["eta"] = m.spec.eta();
      mj["iterations"] = m.outcome.counters.steps_accepted;
    } else if (kind.integrated()) {
      mj["stepper"] = m.spec.integrate.stepper;
      mj["rtol"] = m.spec.integrate.rtol;
      mj["atol"] = m.spec.integrate.atol;
    }
    if (m.spec.params.has("kernel")) mj["kernel"] = m.spec.params.text("kernel");
    if (kind.space == Space::weights) mj["switching"] = m.switching.empty() ? nlohmann::json("off") : nlohmann::json(m.switching);
    mj["counters"] = {{"rhs_evals", m.outcome.counters.rhs_evals},
                      {"steps_accepted", m.outcome.counters.steps_accepted},
                      {"steps_rejected", m.outcome.counters.steps_rejected},
                      {"wall_seconds", m.outcome.counters.wall_seconds}};
    j["methods"].push_back(mj);
  }
  return j;
}

std::string summary(const Experiment& e, const RunResult& r) {
  std::ostringstream s;
  char line[256];
  std::snprintf(line, sizeof line, "gradflow %s | %s on %s (n=%ld, d=%ld), %ld parameters, %s loss, seed %llu\n",
                GRADFLOW_VERSION, e.model.kind.c_str(), r.data_name.c_str(), static_cast<long>(r.n),
                static_cast<long>(r.d), static_cast<long>(r.num_params), to_string(e.reduction).c_str(),
                static_cast<unsigned long long>(e.seed));
  s << line;
  const double c = e.reduction == Reduction::sum ? 1.0 : 1.0 / static_cast<double>(r.n);
  std::snprintf(line, sizeof line, "L(0) = %.4g   lambda_min(H(theta0)) = %.4g   lambda0 = %.4g (%s)\n", r.loss0,
                r.lambda_min_h0, r.lambda0, r.lambda0_source.c_str());
  s << line;
  std::snprintf(line, sizeof line, "%-18s %-15s %9s %12s %10s %10s %10s %9s\n", "method", "status", "t",
                "final loss", "rate", "rhs evals", "steps", "wall [s]");
  s << line;
  for (const auto& m : r.methods) {
    const double final_loss = m.final_value("loss");
    std::snprintf(line, sizeof line, "%-18s %-15s %9.4g %12.4e %10.4g %10ld %10ld %9.3f\n", m.spec.name.c_str(),
                  to_string(m.outcome.status).c_str(), m.outcome.t, final_loss, m.rate, m.outcome.counters.rhs_evals,
                  m.outcome.counters.steps_accepted + m.outcome.counters.steps_rejected,
                  m.outcome.counters.wall_seconds);
    s << line;
  }
  // Du et al.: |Δ(t)|² ≤ exp(−λ0 t)|Δ(0)|²; Bu et al.'s HBF rate is √(λ0/2) (both with λ0 of K = cH).
  std::snprintf(line, sizeof line,
                "rate: -d log L/dt over the second half of each run. Theory: GF >= c*lambda0 = %.4g (Du et al.; "
                "asymptote 2c*lambda_min(H)), HBF sqrt(c*lambda0/2) = %.4g (Bu et al.), NAG polynomial.\n",
                c * r.lambda0, std::sqrt(c * r.lambda0 / 2));
  s << line;
  for (const auto& m : r.methods)
    if (!m.outcome.message.empty()) s << m.spec.name << ": " << m.outcome.message << "\n";
  return s.str();
}

}  // namespace gradflow
