#include "internal.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/core/resources.hpp"
#include "gradflow/experiment/config.hpp"
#include "gradflow/experiment/experiment.hpp"
#include "gradflow/experiment/expression.hpp"
#include "gradflow/experiment/runner.hpp"
#include "gradflow/experiment/theory_report.hpp"
#include "gradflow/plot/figure.hpp"

namespace fs = std::filesystem;

namespace gradflow::recipe_detail {


/// Splits "name(a,b)" into name and arguments.
std::pair<std::string, std::vector<std::string>> split_call(const std::string& s) {
  const auto open = s.find('(');
  if (open == std::string::npos) return {s, {}};
  std::vector<std::string> args;
  std::string cur;
  for (std::size_t i = open + 1; i + 1 < s.size(); ++i) {
    if (s[i] == ',') {
      args.push_back(cur);
      cur.clear();
    } else if (!std::isspace(static_cast<unsigned char>(s[i]))) {
      cur += s[i];
    }
  }
  args.push_back(cur);
  return {s.substr(0, open), args};
}

const MethodResult& find_method(const RunResult& run, const std::string& name, const std::string& where) {
  for (const auto& m : run.methods)
    if (m.spec.name == name) return m;
  std::string names;
  for (const auto& m : run.methods) names += " " + m.spec.name;
  throw input_error(where + ": no method named '" + name + "' (methods:" + names + ")");
}

std::vector<double> column(const MethodResult& m, const std::string& col, const std::string& where) {
  if (m.table.column(col) < 0) throw input_error(where + ": method " + m.spec.name + " has no column '" + col + "'");
  return m.table.values(col);
}

/// A level argument: a number or an expression over the run's theory numbers (loss_star+1e-8).
double level_value(const std::string& text, const nlohmann::json& theory, const RunResult& run, const std::string& where) {
  std::map<std::string, double> vars{{"loss0", run.loss0}, {"lambda0", run.lambda0}, {"lambda_min_h0", run.lambda_min_h0}};
  for (const auto& [k, v] : theory.items())
    if (v.is_number()) vars[k] = v.get<double>();
  return evaluate_expression(text, vars, where);
}

/// Time step of one recorded unit: t = kη (first order) or k√η (momentum); 1 for flows.
double time_unit(const MethodSpec& s) {
  const MethodKind& kind = s.descriptor();
  return kind.discrete() ? kind.time_unit(s.eta()) : 1.0;
}

/// Linear interpolation of (t, v) at time x (NaN outside the recorded range).
double interpolate(const std::vector<double>& t, const std::vector<double>& v, double x) {
  if (t.empty() || x < t.front() - 1e-12 * std::abs(t.front()) || x > t.back() * (1 + 1e-12)) return nan;
  const auto it = std::lower_bound(t.begin(), t.end(), x);
  if (it == t.begin()) return v.front();
  if (it == t.end()) return v.back();
  const std::size_t i = static_cast<std::size_t>(it - t.begin());
  const double w = t[i] > t[i - 1] ? (x - t[i - 1]) / (t[i] - t[i - 1]) : 1.0;
  return (1 - w) * v[i - 1] + w * v[i];
}

double method_metric(const std::string& metric, const MethodResult& m, const nlohmann::json& theory,
                     const RunResult& run, const std::string& where) {
  const auto [name, args] = split_call(metric);
  auto need = [&](std::size_t k) {
    if (args.size() != k) throw input_error(where + ": " + name + " takes " + std::to_string(k) + " argument(s)");
  };
  if (name == "fitted_rate") return m.rate;
  if (name == "final_loss") return m.final_value("loss");
  if (name == "initial_loss") {
    const auto loss = m.table.values("loss");
    return loss.empty() ? nan : loss.front();
  }
  if (name == "t_reached") return m.outcome.t;
  if (name == "iterations") return static_cast<double>(m.outcome.counters.steps_accepted);
  if (name == "max" || name == "min" || name == "last" || name == "first" || name == "increases") {
    need(1);
    const auto v = column(m, args[0], where);
    if (v.empty()) return nan;
    if (name == "last") return v.back();
    if (name == "first") return v.front();
    if (name == "increases") {
      double k = 0;
      for (std::size_t i = 1; i < v.size(); ++i)
        if (v[i] > v[i - 1] + 1e-9 * std::abs(v[i - 1])) ++k;
      return k;
    }
    double best = nan;
    for (const double x : v)
      if (std::isfinite(x)) best = std::isnan(best) ? x : name == "max" ? std::max(best, x) : std::min(best, x);
    return best;
  }
  if (name == "t_below" || name == "iterations_below") {
    // First sample with col < level; iterations_below counts steps k = t/η (k√η for momentum).
    need(2);
    const auto v = column(m, args[0], where), t = m.table.values("t");
    const double level = level_value(args[1], theory, run, where);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v[i] < level) return name == "t_below" ? t[i] : std::round(t[i] / time_unit(m.spec));
    return never;
  }
  if (name == "max_t_pow") {
    // max over t > 0 of t^p · col(t): checks bounds of the form col ≤ C / t^p.
    need(2);
    const auto v = column(m, args[0], where), t = m.table.values("t");
    const double p = std::stod(args[1]);
    double best = nan;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (t[i] > 0 && std::isfinite(v[i])) best = std::isnan(best) ? std::pow(t[i], p) * v[i] : std::max(best, std::pow(t[i], p) * v[i]);
    return best;
  }
  if (name == "max_diff") {
    // max_t |col(t) − col_other(t)|, the other method's column interpolated at this one's times.
    need(2);
    const MethodResult& o = find_method(run, args[1], where);
    const auto a = column(m, args[0], where), t = m.table.values("t");
    const auto b = column(o, args[0], where), tb = o.table.values("t");
    double best = nan;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double d = std::abs(a[i] - interpolate(tb, b, t[i]));
      if (std::isfinite(d)) best = std::isnan(best) ? d : std::max(best, d);
    }
    return best;
  }
  if (name == "max_ratio") {
    need(2);
    const auto a = column(m, args[0], where), b = column(m, args[1], where);
    double best = nan;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (b[i] > 0 && std::isfinite(a[i]) && std::isfinite(b[i])) best = std::isnan(best) ? a[i] / b[i] : std::max(best, a[i] / b[i]);
    return best;
  }
  if (name == "xu_bound_ratio") {
    // max_k L_k / (f(η,0)^k L(0)), k = t/η (the theorem's L(t) ≤ f(η,0)^t L(0)).
    const auto jm = theory.contains("methods") && theory["methods"].contains(m.spec.name) ? theory["methods"][m.spec.name]
                                                                                          : nlohmann::json();
    if (!jm.contains("f_eta_0")) return nan;
    const double rho = jm["f_eta_0"].get<double>();
    const auto t = m.table.values("t"), loss = m.table.values("loss");
    double best = nan;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const double k = std::round(t[i] / m.spec.eta());
      const double bound = std::pow(rho, k) * run.loss0;
      if (bound > 0 && std::isfinite(loss[i])) best = std::isnan(best) ? loss[i] / bound : std::max(best, loss[i] / bound);
    }
    return best;
  }
  throw input_error(where + ": unknown metric '" + name + "'");
}

double mean_finite(const std::vector<double>& v) {
  double s = 0;
  int k = 0;
  for (const double x : v)
    if (std::isfinite(x)) {
      s += x;
      ++k;
    }
  return k ? s / k : nan;
}


/// Repeat r's run quantities and theory numbers (per-method ones as <method>__<key>).
std::map<std::string, double> run_variables(const VariantRuns& v, std::size_t r) {
  std::map<std::string, double> out;
  for (const auto& [k, val] : v.theory[r].items())
    if (val.is_number()) out[k] = val.get<double>();
  // Per-method theory numbers as <method>__<key>, e.g. nag_g7__t_star.
  if (v.theory[r].contains("methods"))
    for (const auto& [mname, mj] : v.theory[r]["methods"].items())
      for (const auto& [k, val] : mj.items())
        if (val.is_number()) out[mname + "__" + k] = val.get<double>();
  out["lambda0"] = v.runs[r].lambda0;
  out["lambda_min_h0"] = v.runs[r].lambda_min_h0;
  out["loss0"] = v.runs[r].loss0;
  return out;
}

std::map<std::string, double> variables(const VariantRuns& v) {
  std::map<std::string, std::vector<double>> acc;
  for (std::size_t r = 0; r < v.runs.size(); ++r)
    for (const auto& [k, val] : run_variables(v, r)) acc[k].push_back(val);
  std::map<std::string, double> out;
  for (const auto& [k, vals] : acc) out[k] = mean_finite(vals);
  out["x"] = v.variant->has_x ? v.variant->x : nan;
  return out;
}

namespace {

/// metric@method, or metric@method[label]: the method of the variant with that label.
const std::regex& metric_term() {
  static const std::regex term(R"(([A-Za-z_][A-Za-z_0-9]*(\([^()]*\))?)@([A-Za-z_][A-Za-z_0-9]*)(\[([^\]]*)\])?)");
  return term;
}

/// `v` itself, or the sibling variant a term names by its label.
const VariantRuns& term_variant(const VariantRuns& v, const std::string& label, const std::string& where) {
  if (label.empty()) return v;
  if (v.siblings)
    for (const auto& s : *v.siblings)
      if (s.variant->label == label) return s;
  throw input_error(where + ": no variant is labelled '" + label + "'");
}

/// Evaluates `text` with each metric@method[label] term replaced by term(metric, method, label).
/// A `never` term enters as +inf (the count exceeds the run): a value it leaves finite stands
/// (min(never, 500) = 500), one it makes infinite or undefined is `never`; a NaN term makes it NaN.
template <class Term>
double evaluate_with_terms(const std::string& text, std::map<std::string, double> vars, const std::string& where,
                           Term term) {
  std::string expr;
  std::size_t last = 0, k = 0;
  bool censored = false;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), metric_term()); it != std::sregex_iterator(); ++it) {
    const auto& mt = *it;
    const double val = term(mt[1].str(), mt[3].str(), mt[5].str());
    if (std::isnan(val)) return nan;
    censored = censored || val == never;
    const std::string var = "metric_value_" + std::to_string(k++);
    vars[var] = val;
    expr += text.substr(last, static_cast<std::size_t>(mt.position()) - last) + var;
    last = static_cast<std::size_t>(mt.position() + mt.length());
  }
  expr += text.substr(last);
  if (!censored) return evaluate_expression(expr, vars, where);
  const double v = evaluate_extended(expr, vars, where);
  return std::isfinite(v) ? v : never;
}

}  // namespace

/// Evaluates a value expression for one variant (metric@method terms averaged over repeats).
double value(const std::string& text, const VariantRuns& v, const std::string& where) {
  return evaluate_with_terms(text, variables(v), where, [&](const std::string& metric, const std::string& method,
                                                             const std::string& label) {
    const VariantRuns& src = term_variant(v, label, where);
    std::vector<double> vals;
    for (std::size_t r = 0; r < src.runs.size(); ++r)
      vals.push_back(method_metric(metric, find_method(src.runs[r], method, where), src.theory[r], src.runs[r], where));
    // A level that one seed never reached makes the whole value "never" (a censored count: more
    // than the run holds); NaN (undefined) makes the claim fail rather than abort.
    if (std::any_of(vals.begin(), vals.end(), [](double x) { return x == never; })) return never;
    return mean_finite(vals);
  });
}

std::vector<double> seed_values(const std::string& text, const VariantRuns& v, const std::string& where) {
  std::vector<double> out;
  for (std::size_t r = 0; r < v.runs.size(); ++r) {
    auto vars = run_variables(v, r);
    vars["x"] = v.variant->has_x ? v.variant->x : nan;
    out.push_back(evaluate_with_terms(text, vars, where, [&](const std::string& metric, const std::string& method,
                                                             const std::string& label) {
      // Every variant has the same repeats: repeat r of another variant pairs with this one's.
      const VariantRuns& src = term_variant(v, label, where);
      return method_metric(metric, find_method(src.runs[r], method, where), src.theory[r], src.runs[r], where);
    }));
  }
  return out;
}

double sample_sd(const std::vector<double>& v) {
  std::vector<double> f;
  for (const double x : v)
    if (std::isfinite(x)) f.push_back(x);
  if (f.size() < 2) return 0.0;
  const double m = mean_finite(f);
  double ss = 0;
  for (const double x : f) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(f.size() - 1));
}

ClaimValue claim_value(const std::string& text, const VariantRuns& v, const std::string& where) {
  ClaimValue c;
  c.mean = value(text, v, where);
  c.censored = c.mean == never;
  if (v.runs.size() > 1 && std::isfinite(c.mean)) c.spread = sample_sd(seed_values(text, v, where));
  return c;
}

}  // namespace gradflow::recipe_detail
