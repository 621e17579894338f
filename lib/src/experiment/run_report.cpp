#include "gradflow/experiment/run_report.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace gradflow {
namespace {


/// A number of the report; null (a NaN or infinity written out) and absence read as NaN.
double number(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

long count(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<long>() : 0;
}

}  // namespace

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json method_report(const MethodResult& m) {
  nlohmann::json mj;
  mj["name"] = m.spec.name;
  mj["kind"] = m.spec.kind;
  mj["status"] = to_string(m.outcome.status);
  if (m.outcome.status == Status::pending) {
    mj["csv"] = m.spec.name + ".csv";
    return mj;
  }
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
  if (kind.space == Space::weights)
    mj["switching"] = m.switching.empty() ? nlohmann::json("off") : nlohmann::json(m.switching);
  mj["counters"] = {{"rhs_evals", m.outcome.counters.rhs_evals},
                    {"steps_accepted", m.outcome.counters.steps_accepted},
                    {"steps_rejected", m.outcome.counters.steps_rejected},
                    {"wall_seconds", m.outcome.counters.wall_seconds}};
  return mj;
}

nlohmann::json run_report(const Experiment& e, const RunResult& r) {
  nlohmann::json j = provenance(e);
  j["status"] = "complete";
  j["data"] = {{"name", r.data_name}, {"provenance", r.data_provenance}, {"n", r.n}, {"d", r.d}, {"k", r.k}};
  j["model"] = {{"kind", e.model.kind}, {"num_params", r.num_params}};
  j["loss0"] = r.loss0;
  j["lambda_min_H0"] = finite_or_null(r.lambda_min_h0);
  j["lambda0"] = finite_or_null(r.lambda0);
  j["lambda0_source"] = r.lambda0_source;
  j["wall_seconds"] = r.wall_seconds;
  j["methods"] = nlohmann::json::array();
  for (const auto& m : r.methods) j["methods"].push_back(method_report(m));
  return j;
}

std::string summary(const nlohmann::json& j) {
  std::ostringstream s;
  char line[256];
  const long n = j["data"].value("n", 0L);
  std::string loss = j.value("loss_reduction", "?");
  if (j.value("loss_kind", "squared") == "lp") {
    char p[48];
    std::snprintf(p, sizeof p, " lp (p = %g)", j.value("loss_p", 2.0));
    loss += p;
  }
  std::snprintf(line, sizeof line, "gradflow %s | %s on %s (n=%ld, d=%ld), %ld parameters, %s loss, seed %llu\n",
                j.value("gradflow_version", "?").c_str(), j["model"].value("kind", "?").c_str(),
                j["data"].value("name", "?").c_str(), n, j["data"].value("d", 0L), j["model"].value("num_params", 0L),
                loss.c_str(), j.value("seed", 0ULL));
  s << line;
  const double lambda0 = number(j, "lambda0");
  const double c = j.value("loss_reduction", "") == "sum" ? 1.0 : 1.0 / static_cast<double>(n);
  std::snprintf(line, sizeof line, "L(0) = %.4g   lambda_min(H(theta0)) = %.4g   lambda0 = %.4g (%s)\n",
                number(j, "loss0"), number(j, "lambda_min_H0"), lambda0, j.value("lambda0_source", "").c_str());
  s << line;
  std::snprintf(line, sizeof line, "%-18s %-15s %9s %12s %10s %10s %10s %9s\n", "method", "status", "t",
                "final loss", "rate", "rhs evals", "steps", "wall [s]");
  s << line;
  for (const auto& m : j["methods"]) {
    const nlohmann::json counters = m.value("counters", nlohmann::json::object());
    std::snprintf(line, sizeof line, "%-18s %-15s %9.4g %12.4e %10.4g %10ld %10ld %9.3f\n",
                  m.value("name", "?").c_str(), m.value("status", "?").c_str(), number(m, "t_reached"),
                  number(m, "final_loss"), number(m, "fitted_rate"), count(counters, "rhs_evals"),
                  count(counters, "steps_accepted") + count(counters, "steps_rejected"),
                  counters.value("wall_seconds", 0.0));
    s << line;
  }
  // Du et al.: |Δ(t)|² ≤ exp(−λ0 t)|Δ(0)|²; Bu et al.'s HBF rate is √(λ0/2) (both with λ0 of K = cH).
  // Those rates are the squared loss's; an lp loss with p > 2 decays polynomially.
  const double p = j.value("loss_kind", "squared") == "lp" ? j.value("loss_p", 2.0) : 2.0;
  if (p == 2.0)
    std::snprintf(line, sizeof line,
                  "rate: -d log L/dt over the second half of each run. Theory: GF >= c*lambda0 = %.4g (Du et al.; "
                  "asymptote 2c*lambda_min(H)), HBF sqrt(c*lambda0/2) = %.4g (Bu et al.), NAG polynomial.\n",
                  c * lambda0, std::sqrt(c * lambda0 / 2));
  else
    std::snprintf(line, sizeof line,
                  "rate: -d log L/dt over the second half of each run (lp loss, p = %g: the squared loss's rate "
                  "bounds do not apply).\n", p);
  s << line;
  for (const auto& m : j["methods"])
    if (!m.value("message", "").empty()) s << m.value("name", "?") << ": " << m.value("message", "") << "\n";
  return s.str();
}

std::string summary(const Experiment& e, const RunResult& r) { return summary(run_report(e, r)); }

}  // namespace gradflow
