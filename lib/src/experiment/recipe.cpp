#include "gradflow/experiment/recipe.hpp"

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

namespace gradflow {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double never = std::numeric_limits<double>::infinity();  ///< a level not reached within the run
const char* const kSizes[] = {"tiny", "default", "full"};

[[noreturn]] void bad(const std::string& recipe, const std::string& key, const std::string& why) {
  throw input_error("recipe " + recipe + ": " + key + ": " + why);
}

std::string str(const toml::table& t, const std::string& key, const std::string& recipe, bool required = false) {
  const auto* n = t.get(key);
  if (!n) {
    if (required) bad(recipe, key, "is required");
    return "";
  }
  if (!n->is_string()) bad(recipe, key, "must be a string");
  return std::string(*n->value<std::string>());
}

std::vector<std::string> strings(const toml::node* n, const std::string& key, const std::string& recipe) {
  std::vector<std::string> out;
  if (!n) return out;
  const auto* a = n->as_array();
  if (!a) bad(recipe, key, "must be an array of strings");
  for (const auto& e : *a) {
    if (!e.is_string()) bad(recipe, key, "must be an array of strings");
    out.emplace_back(*e.value<std::string>());
  }
  return out;
}

std::string slug(const std::string& label) {
  std::string s;
  for (const char c : label) s += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
  return s.empty() ? "variant" : s;
}

/// The experiment of one variant at one size.
Experiment variant_experiment(const Recipe& r, const RecipeVariant& v, const std::string& size,
                              const std::vector<std::string>& extra) {
  Config c = Config::parse(r.base_toml, "recipe " + r.name + " [base]");
  if (auto it = r.sizes.find(size); it != r.sizes.end())
    for (const auto& s : it->second) c.set(s);
  for (const auto& s : v.set) c.set(s);
  if (auto it = v.per_size.find(size); it != v.per_size.end())
    for (const auto& s : it->second) c.set(s);
  for (const auto& s : extra) c.set(s);
  // Data files shipped next to the recipe (recipes/NAME.csv) are found from any folder.
  if (!r.dir.empty() && c.has("data.path")) {
    const fs::path p = c.get("data.path", std::string());
    if (!p.empty() && p.is_relative() && !fs::exists(p) && fs::exists(fs::path(r.dir) / p))
      c.set("data.path=" + (fs::path(r.dir) / p).string());
  }
  try {
    return parse_experiment(c);
  } catch (const input_error& e) {
    throw input_error("recipe " + r.name + ", variant '" + v.label + "' (" + size + "): " + e.what());
  }
}

// ------------------------------------------------------------------------- metrics

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
  const auto& rows = m.table.rows;
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

/// One variant's runs (one per repeat) and theory reports.
struct VariantRuns {
  const RecipeVariant* variant = nullptr;
  std::vector<RunResult> runs;
  std::vector<nlohmann::json> theory;
  std::string dir;
};

std::map<std::string, double> variables(const VariantRuns& v) {
  std::map<std::string, std::vector<double>> acc;
  for (std::size_t r = 0; r < v.runs.size(); ++r) {
    for (const auto& [k, val] : v.theory[r].items())
      if (val.is_number()) acc[k].push_back(val.get<double>());
    // Per-method theory numbers as <method>__<key>, e.g. nag_g7__t_star.
    if (v.theory[r].contains("methods"))
      for (const auto& [mname, mj] : v.theory[r]["methods"].items())
        for (const auto& [k, val] : mj.items())
          if (val.is_number()) acc[mname + "__" + k].push_back(val.get<double>());
    acc["lambda0"].push_back(v.runs[r].lambda0);
    acc["lambda_min_h0"].push_back(v.runs[r].lambda_min_h0);
    acc["loss0"].push_back(v.runs[r].loss0);
  }
  std::map<std::string, double> out;
  for (const auto& [k, vals] : acc) out[k] = mean_finite(vals);
  out["x"] = v.variant->has_x ? v.variant->x : nan;
  return out;
}

/// Evaluates a value expression for one variant (metric@method terms averaged over repeats).
double value(const std::string& text, const VariantRuns& v, const std::string& where) {
  static const std::regex term(R"(([A-Za-z_][A-Za-z_0-9]*(\([^()]*\))?)@([A-Za-z_][A-Za-z_0-9]*))");
  auto vars = variables(v);
  std::string expr;
  std::size_t last = 0, k = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), term); it != std::sregex_iterator(); ++it) {
    const auto& mt = *it;
    std::vector<double> vals;
    for (std::size_t r = 0; r < v.runs.size(); ++r)
      vals.push_back(method_metric(mt[1].str(), find_method(v.runs[r], mt[3].str(), where), v.theory[r], v.runs[r], where));
    const std::string var = "metric_value_" + std::to_string(k++);
    // A level that one seed never reached makes the whole value "never" (a censored count: more
    // than the run holds); NaN (undefined) makes the claim fail rather than abort.
    if (std::any_of(vals.begin(), vals.end(), [](double x) { return x == never; })) return never;
    vars[var] = mean_finite(vals);
    if (std::isnan(vars[var])) return nan;
    expr += text.substr(last, static_cast<std::size_t>(mt.position()) - last) + var;
    last = static_cast<std::size_t>(mt.position() + mt.length());
  }
  expr += text.substr(last);
  return evaluate_expression(expr, vars, where);
}

std::string fmt(double v) {
  if (v == never) return "not reached";
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

/// Text for a markdown table cell: '|' would end the cell.
std::string cell(const std::string& text) {
  std::string out;
  for (const char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

bool selected(const RecipeClaim& c, const RecipeVariant& v) {
  return c.variants.empty() || std::find(c.variants.begin(), c.variants.end(), v.label) != c.variants.end();
}

ClaimResult check(const RecipeClaim& c, const std::vector<VariantRuns>& vs, const std::string& where) {
  ClaimResult res{c, false, ""};
  std::ostringstream m;
  if (c.kind == "trend") {
    std::vector<double> vals;
    for (const auto& v : vs)
      if (selected(c, *v.variant)) {
        vals.push_back(value(c.metric, v, where));
        m << (vals.size() > 1 ? ", " : "") << v.variant->label << ": " << fmt(vals.back());
      }
    bool ok = vals.size() >= 2;
    for (std::size_t i = 1; i < vals.size(); ++i) {
      // inf − inf is NaN: two levels never reached cannot be ordered, and the claim fails.
      const double step = vals[i] - vals[i - 1], slack = std::isfinite(vals[i - 1]) ? c.tol * std::abs(vals[i - 1]) : 0.0;
      ok = ok && (c.direction == "increasing" ? step > slack : step < -slack);
    }
    res.pass = ok;
  } else if (c.kind == "compare") {
    bool ok = true;
    int count = 0;
    for (const auto& v : vs) {
      if (!selected(c, *v.variant)) continue;
      const double l = value(c.lhs, v, where), r = value(c.rhs, v, where);
      const bool holds = c.op == "<" ? l < r : c.op == "<=" ? l <= r : c.op == ">" ? l > r : l >= r;
      ok = ok && holds;
      m << (count++ ? "; " : "") << v.variant->label << ": " << fmt(l) << " " << c.op << " " << fmt(r)
        << (holds ? "" : " (fails)");
    }
    res.pass = ok && count > 0;
  } else {  // monotone
    bool all = true;
    int count = 0;
    for (const auto& v : vs) {
      if (!selected(c, *v.variant)) continue;
      const double after = c.after.empty() ? 0.0 : value(c.after, v, where);
      const auto& meth = find_method(v.runs.front(), c.method, where);
      const auto col = column(meth, c.column, where), t = meth.table.values("t");
      long ups = 0, checked = 0;
      double first = nan, lastt = nan;
      for (std::size_t i = 1; i < col.size(); ++i) {
        if (t[i - 1] < after || !std::isfinite(col[i]) || !std::isfinite(col[i - 1])) continue;
        ++checked;
        const double step = col[i] - col[i - 1], slack = 1e-9 * std::max(std::abs(col[i - 1]), 1e-300);
        const bool up = c.direction == "nondecreasing" ? step < -slack : step > slack;
        if (up) {
          ++ups;
          if (std::isnan(first)) first = t[i];
          lastt = t[i];
        }
      }
      all = all && ups == 0;
      m << (count++ ? "; " : "") << v.variant->label << ": ";
      if (ups == 0)
        m << "monotone on all " << checked << " sample steps" << (after > 0 ? " from t = " + fmt(after) : "");
      else
        m << "not monotone: " << ups << " of " << checked << " steps go the wrong way, between t = " << fmt(first)
          << " and " << fmt(lastt);
    }
    res.pass = count > 0 && all == c.expect;
  }
  res.measured = m.str();
  return res;
}

/// Overlays one column of one method across the variants: <out>/<column>_<method>.png.
void overlay_figure(const std::string& out, const std::vector<VariantRuns>& vs, const RecipeFigure& f, std::size_t i) {
  const std::string col = f.columns[i];
  const bool logy = i < f.logy.size() ? f.logy[i] : col == "loss";
  const std::string stem = col + "_" + f.method;
  auto q = [&](const std::string& text) { return gnuplot_quote(text, "recipe figure " + stem); };
  std::ofstream gp(fs::path(out) / (stem + ".gp"));
  gp << "set datafile separator ','\nset datafile missing 'nan'\nset encoding utf8\n"
     << "set terminal pngcairo size 900,560 font 'Sans,11'\nset output " << q(stem + ".png") << "\n"
     << "set xlabel " << q(f.time_times_x ? "t * x (x = abscissa of the variant)" : "t") << " noenhanced\nset ylabel " << q(col)
     << " noenhanced\nset key outside right\nset grid\n"
     << "set title " << q(col + " of " + f.method + " per variant") << " noenhanced\n";
  if (logy) gp << "set logscale y\nset format y '10^{%L}'\n";
  gp << "plot ";
  bool first = true;
  const std::string y = logy ? "column(" + q(col) + ") > 0 ? column(" + q(col) + ") : NaN" : "column(" + q(col) + ")";
  for (const auto& v : vs) {
    const fs::path csv = fs::relative(fs::path(v.dir) / (f.method + ".csv"), out);
    if (!fs::exists(fs::path(out) / csv)) continue;
    const std::string t = f.time_times_x && v.variant->has_x ? "(column('t')*" + fmt(v.variant->x) + ")" : "'t'";
    gp << (first ? "" : ", \\\n     ") << q(csv.string()) << " using " << t << ":(" << y
       << ") with linespoints lw 2 pt 7 ps 0.3 title " << q(v.variant->label) << " noenhanced";
    first = false;
  }
  if (f.xu_bound && col == "loss" && !first)
    for (const auto& v : vs) {
      const auto& th = v.theory.front();
      if (!th.contains("xu_rate") || !th["xu_rate"].is_number()) continue;
      gp << ", \\\n     " << fmt(v.runs.front().loss0) << "*" << th["xu_rate"].get<double>() << "**x with lines lw 1 dt 2 title "
         << q(v.variant->label + ": f(eta*,0)^t L(0)") << " noenhanced";
    }
  if (!f.reference.empty() && !vs.empty()) {
    const fs::path csv = fs::relative(fs::path(vs.front().dir) / (f.reference + ".csv"), out);
    std::string header;
    if (std::ifstream in(fs::path(out) / csv); in) std::getline(in, header);
    const bool has_col = ("," + header + ",").find("," + col + ",") != std::string::npos;
    if (has_col && !first)
      gp << ", \\\n     " << q(csv.string()) << " using "
         << (f.time_times_x && vs.front().variant->has_x ? "(column('t')*" + fmt(vs.front().variant->x) + ")" : "'t'")
         << ":(" << y << ") with lines lw 2 dt 2 lc rgb 'black' title " << q(f.reference) << " noenhanced";
  }
  gp << "\n";
  gp.close();
  if (first) return;
  const std::string cmd = "cd " + shell_quote(out, "--out") + " && gnuplot " + shell_quote(stem + ".gp", "recipe figure") +
                          " > " + shell_quote(stem + ".gnuplot.log", "recipe figure") + " 2>&1";
  if (std::system(cmd.c_str()) == 0) fs::remove(fs::path(out) / (stem + ".gnuplot.log"));
}

}  // namespace

std::string reproduce_text(const Recipe& r, const ReproduceResult& res) {
  std::ostringstream s;
  s << r.title << "\n";
  if (!res.tables_text.empty()) s << "\n" << res.tables_text;
  for (std::size_t i = 0; i < res.claims.size(); ++i) {
    const auto& c = res.claims[i];
    s << "  [" << (c.pass ? "PASS" : "FAIL") << "] " << c.claim.text << "\n         " << c.measured << "\n";
  }
  s << "report: " << res.report_path << "\n";
  return s.str();
}

bool ReproduceResult::all_pass() const {
  return std::all_of(claims.begin(), claims.end(), [](const ClaimResult& c) { return c.pass; });
}

Recipe parse_recipe(const std::string& text, const std::string& name) { return parse_recipe_in(text, name, ""); }

Recipe parse_recipe_in(const std::string& text, const std::string& name, const std::string& dir) {
  toml::table t;
  try {
    t = toml::parse(text, "recipes/" + name + ".toml");
  } catch (const toml::parse_error& e) {
    std::ostringstream s;
    s << e.description() << " (line " << e.source().begin.line << ")";
    bad(name, "TOML", s.str());
  }
  Recipe r;
  r.name = name;
  r.dir = dir;
  r.title = str(t, "title", name, true);
  r.paper = str(t, "paper", name, true);
  r.claim = str(t, "claim", name, true);
  r.description = str(t, "description", name);
  const auto* base = t.get_as<toml::table>("base");
  if (!base) bad(name, "base", "a [base] table (an experiment) is required");
  {
    std::ostringstream s;
    s << *base;
    r.base_toml = s.str();
  }
  if (const auto* sizes = t.get_as<toml::table>("sizes"))
    for (const auto& [k, v] : *sizes) {
      const std::string key(k.str());
      if (std::find(std::begin(kSizes), std::end(kSizes), key) == std::end(kSizes)) bad(name, "sizes." + key, "sizes are tiny, default, full");
      r.sizes[key] = strings(&v, "sizes." + key, name);
    }
  if (const auto* rep = t.get_as<toml::table>("repeats"))
    for (const auto& [k, v] : *rep) {
      const auto n = v.value<int64_t>();
      if (!n || *n < 1) bad(name, "repeats." + std::string(k.str()), "must be a positive integer");
      r.repeats[std::string(k.str())] = static_cast<long>(*n);
    }
  const auto* variants = t.get_as<toml::array>("variants");
  if (!variants || variants->empty()) bad(name, "variants", "at least one [[variants]] entry is required");
  for (std::size_t i = 0; i < variants->size(); ++i) {
    const auto* vt = variants->get(i)->as_table();
    const std::string key = "variants." + std::to_string(i);
    if (!vt) bad(name, key, "must be a table");
    RecipeVariant v;
    v.label = str(*vt, "label", name, true);
    require_printable(v.label, "recipe " + name + ": variants.label");
    if (const auto* x = vt->get("x")) {
      if (!x->is_number()) bad(name, key + ".x", "must be a number");
      v.x = *x->value<double>();
      v.has_x = true;
    }
    v.set = strings(vt->get("set"), key + ".set", name);
    for (const char* s : kSizes) v.per_size[s] = strings(vt->get(s), key + "." + s, name);
    for (const auto& [k, _] : *vt) {
      const std::string kk(k.str());
      if (kk != "label" && kk != "x" && kk != "set" && std::find(std::begin(kSizes), std::end(kSizes), kk) == std::end(kSizes))
        bad(name, key + "." + kk, "unknown key (label, x, set, tiny, default, full)");
    }
    r.variants.push_back(v);
  }
  if (const auto* claims = t.get_as<toml::array>("claims"))
    for (std::size_t i = 0; i < claims->size(); ++i) {
      const auto* ct = claims->get(i)->as_table();
      const std::string key = "claims." + std::to_string(i);
      if (!ct) bad(name, key, "must be a table");
      RecipeClaim c;
      c.text = str(*ct, "text", name, true);
      c.paper = str(*ct, "paper", name);
      c.kind = str(*ct, "kind", name, true);
      c.metric = str(*ct, "metric", name);
      c.direction = str(*ct, "direction", name);
      c.lhs = str(*ct, "lhs", name);
      c.op = str(*ct, "op", name);
      c.rhs = str(*ct, "rhs", name);
      c.method = str(*ct, "method", name);
      c.column = str(*ct, "column", name);
      c.after = str(*ct, "after", name);
      if (const auto* e = ct->get("expect")) c.expect = e->value<bool>().value_or(true);
      if (const auto* tol = ct->get("tol")) c.tol = tol->value<double>().value_or(0.0);
      c.variants = strings(ct->get("variants"), key + ".variants", name);
      if (c.kind == "trend") {
        if (c.metric.empty()) bad(name, key + ".metric", "a trend needs a metric");
        if (c.direction != "increasing" && c.direction != "decreasing") bad(name, key + ".direction", "increasing or decreasing");
      } else if (c.kind == "compare") {
        if (c.lhs.empty() || c.rhs.empty()) bad(name, key, "compare needs lhs and rhs");
        if (c.op != "<" && c.op != "<=" && c.op != ">" && c.op != ">=") bad(name, key + ".op", "one of < <= > >=");
      } else if (c.kind == "monotone") {
        if (c.method.empty() || c.column.empty()) bad(name, key, "monotone needs method and column");
        if (c.direction.empty()) c.direction = "nonincreasing";
        if (c.direction != "nonincreasing" && c.direction != "nondecreasing") bad(name, key + ".direction", "nonincreasing or nondecreasing");
      } else {
        bad(name, key + ".kind", "trend, compare or monotone, got '" + c.kind + "'");
      }
      for (const auto& l : c.variants)
        if (std::none_of(r.variants.begin(), r.variants.end(), [&](const RecipeVariant& v) { return v.label == l; }))
          bad(name, key + ".variants", "no variant labelled '" + l + "'");
      r.claims.push_back(c);
    }
  if (const auto* figs = t.get_as<toml::array>("figures"))
    for (std::size_t i = 0; i < figs->size(); ++i) {
      const auto* ft = figs->get(i)->as_table();
      if (!ft) bad(name, "figures", "must be tables");
      RecipeFigure f;
      f.method = str(*ft, "method", name, true);
      f.columns = strings(ft->get("columns"), "figures.columns", name);
      // They name the figure's files and the CSVs it reads.
      require_identifier(f.method, "recipe " + name + ": figures.method");
      for (const auto& col : f.columns) require_identifier(col, "recipe " + name + ": figures.columns");
      f.reference = str(*ft, "reference", name);
      if (!f.reference.empty()) require_identifier(f.reference, "recipe " + name + ": figures.reference");
      if (const auto* tx = ft->get("time_times_x")) f.time_times_x = tx->value<bool>().value_or(false);
      if (const auto* xb = ft->get("xu_bound")) f.xu_bound = xb->value<bool>().value_or(false);
      if (const auto* ly = ft->get_as<toml::array>("logy"))
        for (const auto& b : *ly) f.logy.push_back(b.value<bool>().value_or(false));
      r.figures.push_back(f);
    }
  if (const auto* tabs = t.get_as<toml::array>("tables"))
    for (std::size_t i = 0; i < tabs->size(); ++i) {
      const auto* tt = tabs->get(i)->as_table();
      const std::string key = "tables." + std::to_string(i);
      if (!tt) bad(name, key, "must be a table");
      RecipeTable tab;
      tab.title = str(*tt, "title", name, true);
      tab.metric = str(*tt, "metric", name, true);
      tab.methods = strings(tt->get("methods"), key + ".methods", name);
      r.tables.push_back(tab);
    }
  // Every variant must be a valid experiment at every size.
  for (const char* size : kSizes)
    for (const auto& v : r.variants) (void)variant_experiment(r, v, size, {});
  return r;
}

Recipe load_recipe(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw input_error("cannot open recipe '" + path.string() + "'");
  std::stringstream s;
  s << in.rdbuf();
  // The folder is needed while parsing: the variants' relative data paths resolve there.
  return parse_recipe_in(s.str(), path.stem().string(), path.parent_path().string());
}

Recipe find_recipe(const std::string& name) {
  if (name.empty() || name.find_first_of("/\\.") != std::string::npos)
    throw input_error("reproduce: bad recipe name '" + name + "' (see gradflow reproduce --list)");
  fs::path p;
  try {
    p = resource_path("recipes/" + name + ".toml");
  } catch (const input_error&) {
    std::string names;
    for (const auto& [n, _] : list_recipes()) names += " " + n;
    throw input_error("reproduce: no recipe named '" + name + "' (available:" + names + ")");
  }
  return load_recipe(p);
}

std::vector<std::pair<std::string, std::string>> list_recipes() {
  std::vector<std::pair<std::string, std::string>> out;
  const fs::path dir = resource_path("recipes");
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".toml") continue;
    std::string title;
    try {
      std::ifstream in(e.path());
      std::stringstream s;
      s << in.rdbuf();
      const auto t = toml::parse(s.str());
      title = t["title"].value_or(std::string());
    } catch (const std::exception& ex) {
      title = std::string("(invalid: ") + ex.what() + ")";
    }
    out.emplace_back(e.path().stem().string(), title);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ReproduceResult reproduce(const Recipe& r, const ReproduceOptions& o) {
  if (o.out.empty()) throw input_error("reproduce: an output folder is required");
  if (std::find(std::begin(kSizes), std::end(kSizes), o.size) == std::end(kSizes))
    throw input_error("reproduce: size must be tiny, default or full");
  const auto start = std::chrono::steady_clock::now();
  fs::create_directories(o.out);
  const bool figures = o.figures && gnuplot_available();
  const long repeats = r.repeats.count(o.size) ? r.repeats.at(o.size) : 1;

  std::vector<VariantRuns> vs;
  for (const auto& v : r.variants) {
    VariantRuns vr;
    vr.variant = &v;
    vr.dir = (fs::path(o.out) / slug(v.label)).string();
    const Experiment base = variant_experiment(r, v, o.size, o.sets);
    for (long rep = 0; rep < repeats; ++rep) {
      Experiment e = base;
      e.seed = base.seed + static_cast<std::uint64_t>(rep);
      const std::string dir = repeats > 1 ? (fs::path(vr.dir) / ("seed" + std::to_string(e.seed))).string() : vr.dir;
      fs::create_directories(dir);
      fs::remove(fs::path(dir) / "run.json");
      CsvSink csv(dir);
      std::vector<Observer*> sinks{&csv};
      if (!o.quiet) std::fprintf(stderr, "  %s: variant %s, seed %llu\n", r.name.c_str(), v.label.c_str(),
                                 static_cast<unsigned long long>(e.seed));
      RunResult run = run_experiment(e, sinks);
      std::ofstream(fs::path(dir) / "run.json") << run_report(e, run).dump(2) << "\n";
      nlohmann::json th = theory_report(e);
      std::ofstream(fs::path(dir) / "theory.json") << th.dump(2) << "\n";
      if (figures && rep == 0) {
        const std::string err = render_run_figures(dir);
        if (!err.empty() && !o.quiet) std::fprintf(stderr, "gnuplot: %s\n", err.c_str());
      }
      vr.runs.push_back(std::move(run));
      vr.theory.push_back(std::move(th));
    }
    if (repeats > 1) vr.dir = (fs::path(vr.dir) / ("seed" + std::to_string(base.seed))).string();
    vs.push_back(std::move(vr));
  }

  ReproduceResult res;
  // Summary: one row per (variant, method), means over the repeats.
  std::ofstream csv(fs::path(o.out) / "summary.csv");
  csv << "variant,x,method,kind,status,final_loss,fitted_rate,t_reached,max_pattern_change,max_max_w_change,"
         "max_dist_init,lambda0,lambda_min_h0,loss0,repeats\n";
  for (const auto& v : vs) {
    const auto vars = variables(v);
    nlohmann::json jv;
    jv["label"] = v.variant->label;
    if (v.variant->has_x) jv["x"] = v.variant->x;
    jv["dir"] = fs::relative(v.dir, o.out).string();
    jv["theory"] = v.theory.front();
    for (const auto& m : v.runs.front().methods) {
      auto mean_metric = [&](const std::string& metric) {
        std::vector<double> vals;
        for (std::size_t k = 0; k < v.runs.size(); ++k) {
          const auto& mm = find_method(v.runs[k], m.spec.name, "summary");
          try {
            vals.push_back(method_metric(metric, mm, v.theory[k], v.runs[k], "summary"));
          } catch (const input_error&) {
            vals.push_back(nan);
          }
        }
        return mean_finite(vals);
      };
      const double fl = mean_metric("final_loss"), fr = mean_metric("fitted_rate"), tr = mean_metric("t_reached"),
                   pc = mean_metric("max(pattern_change)"), wc = mean_metric("max(max_w_change)"),
                   di = mean_metric("max(dist_init)");
      csv << v.variant->label << "," << (v.variant->has_x ? fmt(v.variant->x) : "nan") << "," << m.spec.name << ","
          << m.spec.kind << "," << to_string(m.outcome.status) << "," << fl << "," << fr << "," << tr << "," << pc << ","
          << wc << "," << di << "," << vars.at("lambda0") << "," << vars.at("lambda_min_h0") << "," << vars.at("loss0")
          << "," << v.runs.size() << "\n";
      auto num = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); };
      jv["methods"][m.spec.name] = {{"kind", m.spec.kind},       {"status", to_string(m.outcome.status)},
                                    {"final_loss", num(fl)},     {"fitted_rate", num(fr)},
                                    {"t_reached", num(tr)},      {"max_pattern_change", num(pc)},
                                    {"max_max_w_change", num(wc)}, {"max_dist_init", num(di)}};
    }
    res.summary["variants"].push_back(jv);
  }
  csv.close();

  for (std::size_t i = 0; i < r.claims.size(); ++i) {
    const std::string where = "recipe " + r.name + ", claims." + std::to_string(i);
    res.claims.push_back(check(r.claims[i], vs, where));
  }

  // Tables: means over the repeats, one row per variant, one column per method.
  {
    std::ostringstream tm;
    for (std::size_t ti = 0; ti < r.tables.size(); ++ti) {
      const auto& tab = r.tables[ti];
      const std::string where = "recipe " + r.name + ", tables." + std::to_string(ti);
      std::vector<std::string> methods = tab.methods;
      if (methods.empty())
        for (const auto& m : vs.front().runs.front().methods) methods.push_back(m.spec.name);
      tm << "**" << tab.title << "** (`" << tab.metric << "`, mean over " << repeats << " seed(s))\n\n| variant |";
      for (const auto& m : methods) tm << " " << m << " |";
      tm << "\n|---|";
      for (std::size_t k = 0; k < methods.size(); ++k) tm << "---|";
      tm << "\n";
      nlohmann::json jt;
      jt["title"] = tab.title;
      jt["metric"] = tab.metric;
      for (const auto& v : vs) {
        tm << "| " << v.variant->label << " |";
        for (const auto& mname : methods) {
          std::vector<double> vals;
          bool present = false;
          for (std::size_t k = 0; k < v.runs.size(); ++k)
            for (const auto& m : v.runs[k].methods)
              if (m.spec.name == mname) {
                present = true;
                vals.push_back(method_metric(tab.metric, m, v.theory[k], v.runs[k], where));
              }
          const long finite = std::count_if(vals.begin(), vals.end(), [](double x) { return std::isfinite(x); });
          const double mean = mean_finite(vals);
          tm << " " << (!present ? "—" : finite == 0 ? "not reached" : fmt(mean));
          if (present && finite > 0 && finite < static_cast<long>(vals.size()))
            tm << " (" << finite << "/" << vals.size() << " seeds)";
          tm << " |";
          if (present) jt["rows"][v.variant->label][mname] = std::isfinite(mean) ? nlohmann::json(mean) : nlohmann::json();
        }
        tm << "\n";
      }
      tm << "\n";
      res.summary["tables"].push_back(jt);
    }
    res.tables_text = tm.str();
  }

  std::vector<std::string> figs;
  if (figures)
    for (const auto& f : r.figures)
      for (std::size_t i = 0; i < f.columns.size(); ++i) {
        overlay_figure(o.out, vs, f, i);
        const std::string png = f.columns[i] + "_" + f.method + ".png";
        if (fs::exists(fs::path(o.out) / png)) figs.push_back(png);
      }

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  res.summary["recipe"] = r.name;
  res.summary["size"] = o.size;
  res.summary["repeats"] = repeats;
  res.summary["wall_seconds"] = wall;
  for (const auto& c : res.claims)
    res.summary["claims"].push_back({{"text", c.claim.text}, {"paper", c.claim.paper}, {"pass", c.pass}, {"measured", c.measured}});
  std::ofstream(fs::path(o.out) / "summary.json") << res.summary.dump(2) << "\n";

  // report.md
  std::ostringstream md;
  md << "# " << r.title << "\n\n";
  md << "Paper: " << r.paper << "\n\n";
  md << "Command: `gradflow reproduce " << r.name << (o.size == "full" ? " --full" : o.size == "tiny" ? " (test size tiny)" : "")
     << "` — size **" << o.size << "**, " << repeats << " seed(s) per variant, " << fmt(wall) << " s wall time.\n\n";
  md << "**The paper's claim.** " << r.claim << "\n\n";
  if (!r.description.empty()) md << "**What is run.** " << r.description << "\n\n";
  md << "## Variants\n\n| variant | folder | L(0) | λ0 | λ_min(H(θ0)) | method: final loss / fitted rate |\n|---|---|---|---|---|---|\n";
  for (const auto& v : vs) {
    const auto vars = variables(v);
    md << "| " << v.variant->label << " | `" << fs::relative(v.dir, o.out).string() << "/` | " << fmt(vars.at("loss0")) << " | "
       << fmt(vars.at("lambda0")) << " | " << fmt(vars.at("lambda_min_h0")) << " | ";
    for (const auto& m : v.runs.front().methods)
      md << m.spec.name << ": " << fmt(m.final_value("loss")) << " / " << fmt(m.rate)
         << (m.outcome.status == Status::completed ? "" : " (" + to_string(m.outcome.status) + ")") << "<br>";
    md << " |\n";
  }
  if (!res.tables_text.empty()) md << "\n## Tables\n\n" << res.tables_text;
  md << "\n## Claims\n\n| # | the paper says | checked here | measured | result |\n|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < res.claims.size(); ++i) {
    const auto& c = res.claims[i];
    md << "| " << i + 1 << " | " << (c.claim.paper.empty() ? "—" : cell(c.claim.paper)) << " | " << cell(c.claim.text) << " | "
       << cell(c.measured) << " | " << (c.pass ? "PASS" : "**FAIL**") << " |\n";
  }
  md << "\n## Where the measurement disagrees with the paper\n\n";
  bool any = false;
  for (std::size_t i = 0; i < res.claims.size(); ++i)
    if (!res.claims[i].pass) {
      any = true;
      md << "- Claim " << i + 1 << " (" << res.claims[i].claim.text << ") does not hold at this size: "
         << res.claims[i].measured << ".\n";
    }
  if (!any) md << "Nowhere at this size: every claim above holds on the measured numbers.\n";
  md << "\n## Figures\n\n";
  for (const auto& f : figs) md << "![" << f << "](" << f << ")\n\n";
  for (const auto& v : vs)
    if (fs::exists(fs::path(v.dir) / "loss.png"))
      md << "- " << v.variant->label << ": [loss](" << fs::relative(fs::path(v.dir) / "loss.png", o.out).string() << ")\n";
  md << "\nsummary.csv holds one row per (variant, method); each variant's folder is a `gradflow run` folder "
        "(CSVs, run.json, theory.json, figures).\n";
  res.report_path = (fs::path(o.out) / "report.md").string();
  std::ofstream(res.report_path) << md.str();
  return res;
}

}  // namespace gradflow
