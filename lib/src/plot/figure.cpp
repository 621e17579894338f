#include "gradflow/plot/figure.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gnuplot-iostream.h>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/fit.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/core/resources.hpp"
#include "gradflow/observe/sink.hpp"
#include "gradflow/registry/method_kind.hpp"
#include "gradflow/registry/model_kind.hpp"

namespace gradflow {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A number for a template. gnuplot's string-to-number conversion reads "1e-05" as the
/// integer 1 followed by junk (an error), so a mantissa always gets a decimal point.
std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  std::string s = buf;
  const auto e = s.find_first_of("eE");
  if (e != std::string::npos && s.find('.') == std::string::npos) s.insert(e, ".0");
  return s;
}

/// A list for gnuplot's word()/words(): items separated by spaces, an item holding spaces
/// wrapped in double quotes (which word() honours).
std::string word_list(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& item : items) {
    std::string w = item;
    std::replace(w.begin(), w.end(), '"', '\'');
    if (w.empty() || w.find_first_of(" \t") != std::string::npos) w = "\"" + w + "\"";
    s += (s.empty() ? "" : " ") + w;
  }
  return s;
}

// ------------------------------------------------------------------------- run folder

/// Methods whose run.json kind is an iteration rather than a flow (a kind this program does
/// not know, say from another program's registry, is drawn as a flow).
bool is_discrete_kind(const std::string& kind) {
  const MethodKind* k = method_kinds().find(kind);
  return k && k->discrete();
}

/// The flow a discrete method discretises ("" for flows and others): the twin shares its
/// colour, so "GD tracks GF" reads as markers on a line of one colour.
std::string twin_flow_kind(const std::string& kind) {
  const MethodKind* k = method_kinds().find(kind);
  return k && k->discrete() && !k->twins.empty() ? k->twins.front() : "";
}

struct MethodData {
  std::string name, kind, csv;
  bool discrete = false;
  int color = 1;  ///< 1-based palette index: the method's colour in every figure
  int point = 0;  ///< gnuplot point type of a discrete method's markers (0: a flow, no markers)
  Table table;
};

struct RunData {
  nlohmann::json json;
  std::vector<MethodData> methods;
  std::string reduction = "sum";
  std::string subject;  ///< "two_layer (tanh, m=1000) on sphere (n=50, d=10), 11000 parameters"
  double n = 1;
};

template <class T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  return j.is_object() && j.contains(key) && !j[key].is_null() ? j[key].get<T>() : fallback;
}

RunData load_run(const std::string& dir) {
  const fs::path report = fs::path(dir) / "run.json";
  if (!fs::exists(report)) throw input_error("'" + dir + "' holds no run.json (not a finished gradflow run)");
  RunData run;
  try {
    run.json = nlohmann::json::parse(slurp(report));
    const auto& j = run.json;
    run.reduction = get_or<std::string>(j, "loss_reduction", "sum");
    const auto& data = j.contains("data") ? j["data"] : nlohmann::json::object();
    const auto& model = j.contains("model") ? j["model"] : nlohmann::json::object();
    run.n = static_cast<double>(get_or<long>(data, "n", 1));
    nlohmann::json cfg_model = nlohmann::json::object();
    if (j.contains("config") && j["config"].contains("model")) cfg_model = j["config"]["model"];
    std::string model_kind = get_or<std::string>(model, "kind", "model");
    std::string detail;
    if (const ModelKind* k = model_kinds().find(model_kind); k && k->describe) detail = k->describe(cfg_model);
    run.subject = model_kind + (detail.empty() ? "" : " (" + detail + ")") + " on " +
                  get_or<std::string>(data, "name", "data") + " (n=" + std::to_string(get_or<long>(data, "n", 0)) +
                  ", d=" + std::to_string(get_or<long>(data, "d", 0)) + "), " +
                  std::to_string(get_or<long>(model, "num_params", 0)) + " parameters";
    for (const auto& m : j.at("methods")) {
      MethodData md;
      md.name = m.at("name").get<std::string>();
      md.kind = get_or<std::string>(m, "kind", "");
      // A folder may come from anyone: its names reach gnuplot, where a file '<cmd' is a pipe.
      require_identifier(md.name, report.string() + ": methods.name");
      md.csv = get_or<std::string>(m, "csv", md.name + ".csv");
      require_identifier(md.csv, report.string() + ": methods.csv");
      md.discrete = is_discrete_kind(md.kind);
      const fs::path csv = fs::path(dir) / md.csv;
      if (!fs::exists(csv)) throw input_error("run folder '" + dir + "' lacks " + md.csv);
      md.table = read_csv_table(csv.string());
      run.methods.push_back(std::move(md));
    }
    // Colours: flows (and every other non-discrete method) in run.json order; a discrete
    // method takes the colour of its flow twin when that twin is in the run and not yet
    // paired, else a colour of its own. Open markers tell discrete methods apart.
    static const int points[] = {6, 4, 8, 12, 10, 14};
    int colors = 0, discrete = 0;
    std::vector<bool> paired(run.methods.size(), false);
    for (auto& m : run.methods)
      if (!m.discrete) m.color = ++colors;
    for (auto& m : run.methods) {
      if (!m.discrete) continue;
      m.point = points[discrete++ % 6];
      m.color = 0;
      const std::string twin = twin_flow_kind(m.kind);
      for (std::size_t k = 0; k < run.methods.size() && !twin.empty(); ++k)
        if (run.methods[k].kind == twin && !paired[k]) {
          paired[k] = true;
          m.color = run.methods[k].color;
          break;
        }
      if (m.color == 0) m.color = ++colors;
    }
  } catch (const nlohmann::json::exception& e) {
    throw input_error("'" + report.string() + "' is not a valid run report: " + e.what());
  }
  return run;
}

/// Finite values of a column: how many, how many positive, how many negative.
struct ColumnStats {
  long finite = 0, positive = 0, negative = 0;
};

ColumnStats stats(const Table& t, const std::string& col) {
  ColumnStats s;
  for (const double v : t.values(col)) {
    if (!std::isfinite(v)) continue;
    ++s.finite;
    s.positive += v > 0;
    s.negative += v < 0;
  }
  return s;
}

std::string loss_label(const std::string& reduction) {
  return reduction == "mean" ? "mean convention, L = (1/2n)‖f − y‖²" : "sum convention, L = ½‖f − y‖²";
}

/// Parallel lists of one series per entry, handed to a template as word lists.
struct SeriesLists {
  std::vector<std::string> files, cols, titles, colors, dashes, discrete, points;
  void add(const MethodData& m, const std::string& col, const std::string& title, int dash) {
    files.push_back(m.csv);
    cols.push_back(col);
    titles.push_back(title);
    colors.push_back(std::to_string(m.color));
    dashes.push_back(std::to_string(dash));
    discrete.push_back(m.discrete ? "1" : "0");
    points.push_back(std::to_string(m.point));
  }
  bool empty() const { return files.empty(); }
  void put(Figure& f) const {
    f.variables.emplace_back("files", word_list(files));
    f.variables.emplace_back("cols", word_list(cols));
    f.variables.emplace_back("titles", word_list(titles));
    f.variables.emplace_back("colors", word_list(colors));
    f.variables.emplace_back("dashes", word_list(dashes));
    f.variables.emplace_back("discrete", word_list(discrete));
    f.variables.emplace_back("points", word_list(points));
  }
};

/// Smallest and largest positive finite value of a column over all methods (NaN when none).
std::pair<double, double> positive_range(const RunData& run, const std::string& col) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& m : run.methods)
    for (const double v : m.table.values(col))
      if (std::isfinite(v) && v > 0) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!(hi > 0)) return {std::nan(""), std::nan("")};
  return {lo, hi};
}

std::string method_title(const MethodData& m) {
  return m.name + (m.discrete ? " (discrete)" : " (flow)");
}

std::optional<Figure> loss_figure(const RunData& run, const std::string& dir) {
  SeriesLists loss, bounds;
  for (const auto& m : run.methods) {
    if (stats(m.table, "loss").positive > 0) loss.add(m, "loss", m.name, 1);
    if (stats(m.table, "bound").positive > 0) bounds.add(m, "bound", m.name + ": bound", 2);
  }
  if (loss.empty()) return std::nullopt;
  Figure f{"loss", (fs::path(dir) / "loss").string(), {}, 900, 600};
  loss.put(f);
  f.variables.emplace_back("bound_files", word_list(bounds.files));
  f.variables.emplace_back("bound_titles", word_list(bounds.titles));
  f.variables.emplace_back("bound_colors", word_list(bounds.colors));
  f.variables.emplace_back("bound_discrete", word_list(bounds.discrete));
  // y from the decade below the smallest loss to a decade above the largest: a bound that
  // starts far above the losses (NAG's ~1/t²) enters the frame where it becomes informative.
  const auto [lo, hi] = positive_range(run, "loss");
  f.variables.emplace_back("ymin", num(std::pow(10.0, std::floor(std::log10(lo)))));
  f.variables.emplace_back("ymax", num(std::pow(10.0, std::ceil(std::log10(hi)) + 1)));
  // Du et al.'s bound for relu2 (λ0 of H∞) when no method brings its own bound column.
  std::string du_l0, du_rate;
  const auto& j = run.json;
  const bool has_flow = std::any_of(run.methods.begin(), run.methods.end(), [](const MethodData& m) {
    const MethodKind* k = method_kinds().find(m.kind);
    return k && k->gradient_flow;
  });
  const ModelKind* model_kind = j.contains("model") ? model_kinds().find(get_or<std::string>(j["model"], "kind", "")) : nullptr;
  const bool h_inf = get_or<std::string>(j, "lambda0_source", "") == "H_inf" || (model_kind && model_kind->infinite_kernel);
  const double lambda0 = get_or<double>(j, "lambda0", std::numeric_limits<double>::quiet_NaN());
  const double loss0 = get_or<double>(j, "loss0", std::numeric_limits<double>::quiet_NaN());
  if (bounds.empty() && has_flow && h_inf && std::isfinite(lambda0) && lambda0 > 0 && std::isfinite(loss0) && loss0 > 0) {
    du_l0 = num(loss0);
    du_rate = num((run.reduction == "mean" ? 1.0 / run.n : 1.0) * lambda0);
  }
  f.variables.emplace_back("du_l0", du_l0);
  f.variables.emplace_back("du_rate", du_rate);
  f.variables.emplace_back("reduction", run.reduction);
  f.variables.emplace_back("ylabel", "loss  (" + loss_label(run.reduction) + ")");
  f.variables.emplace_back("heading", "Loss: " + run.subject);
  return f;
}

std::optional<Figure> lyapunov_figure(const RunData& run, const std::string& dir) {
  static const std::vector<std::pair<std::string, std::string>> kinds = {
      {"pseudo_loss", "pseudo-loss  L̂ = ½ ΔᵀHΔ"},
      {"siegel", "Siegel's V = L̂ + ½‖√(λ0/2)Δ + Δ̇‖²  (heavy ball)"},
      {"su", "Su–Boyd–Candès V(t; α, γ)  (Nesterov)"},
      {"su_corrected", "corrected Su–Boyd–Candès Ṽ  (Nesterov)"}};
  // One panel per quantity, one series per method (grouped by panel: panel j draws series
  // first[j]..last[j]). A panel is logarithmic when none of its values is negative; a series
  // without positive values then has nothing to show and is left out.
  SeriesLists s;
  std::vector<std::string> panels, labels, first, last, logy;
  for (const auto& [col, label] : kinds) {
    bool log = true;
    for (const auto& m : run.methods) log = log && stats(m.table, col).negative == 0;
    const std::size_t s0 = s.files.size();
    for (const auto& m : run.methods) {
      const ColumnStats st = stats(m.table, col);
      if (log ? st.positive > 0 : st.finite > 0) s.add(m, col, m.name, 1);
    }
    if (s.files.size() == s0) continue;
    panels.push_back(col);
    labels.push_back(label);
    first.push_back(std::to_string(s0 + 1));
    last.push_back(std::to_string(s.files.size()));
    logy.push_back(log ? "1" : "0");
  }
  if (s.empty()) return std::nullopt;
  const int np = static_cast<int>(panels.size()), rows = np > 2 ? 2 : 1, columns = np > 1 ? 2 : 1;
  Figure f{"lyapunov", (fs::path(dir) / "lyapunov").string(), {}, columns == 1 ? 900 : 1200, rows == 1 ? 560 : 900};
  s.put(f);
  f.variables.emplace_back("panels", word_list(panels));
  f.variables.emplace_back("panel_labels", word_list(labels));
  f.variables.emplace_back("first", word_list(first));
  f.variables.emplace_back("last", word_list(last));
  f.variables.emplace_back("logy", word_list(logy));
  f.variables.emplace_back("layout", std::to_string(rows) + "," + std::to_string(columns));
  f.variables.emplace_back("ylabel", "energy  (" + run.reduction + " convention of L)");
  f.variables.emplace_back("heading", "Lyapunov functions and pseudo-loss: " + run.subject);
  return f;
}

std::optional<Figure> invariants_figure(const RunData& run, const std::string& dir) {
  static const std::vector<std::pair<std::string, std::string>> kinds = {
      {"imbalance", "imbalance: ‖(W1ᵀW1 − W2W2ᵀ)(t) − (same)(0)‖_F"},
      {"balance", "balance: max_k |(a_k² − ‖w_k‖²)(t) − (same)(0)|"}};
  SeriesLists s;
  std::string notes;
  for (const auto& [col, definition] : kinds) {
    bool shown = false;
    for (const auto& m : run.methods)
      if (stats(m.table, col).positive > 0) {
        s.add(m, col, method_title(m) + ": " + col, 1);
        shown = true;
      }
    if (shown) notes += (notes.empty() ? "" : "     ") + definition;
  }
  if (s.empty()) return std::nullopt;
  Figure f{"invariants", (fs::path(dir) / "invariants").string(), {}, 900, 560};
  s.put(f);
  f.variables.emplace_back("notes", notes);
  f.variables.emplace_back("heading", "Conserved quantities: " + run.subject);
  return f;
}

std::optional<Figure> ntk_figure(const RunData& run, const std::string& dir) {
  SeriesLists lam, dist;
  for (const auto& m : run.methods) {
    if (stats(m.table, "lambda_min").finite > 0) lam.add(m, "lambda_min", m.name, 1);
    if (stats(m.table, "dist_init").finite > 0) dist.add(m, "dist_init", m.name, 1);
  }
  if (lam.empty() && dist.empty()) return std::nullopt;
  const bool both = !lam.empty() && !dist.empty();
  Figure f{"ntk", (fs::path(dir) / "ntk").string(), {}, 900, both ? 820 : 500};
  auto put = [&f](const std::string& prefix, const SeriesLists& s) {
    f.variables.emplace_back(prefix + "_files", word_list(s.files));
    f.variables.emplace_back(prefix + "_titles", word_list(s.titles));
    f.variables.emplace_back(prefix + "_colors", word_list(s.colors));
    f.variables.emplace_back(prefix + "_discrete", word_list(s.discrete));
    f.variables.emplace_back(prefix + "_points", word_list(s.points));
  };
  put("lambda", lam);
  put("dist", dist);
  const auto& j = run.json;
  const double h0 = get_or<double>(j, "lambda_min_H0", std::numeric_limits<double>::quiet_NaN());
  const double lambda0 = get_or<double>(j, "lambda0", std::numeric_limits<double>::quiet_NaN());
  f.variables.emplace_back("lambda_h0", std::isfinite(h0) ? num(h0) : "");
  f.variables.emplace_back("lambda0", std::isfinite(lambda0) && lambda0 > 0 ? num(lambda0) : "");
  f.variables.emplace_back("lambda0_source", get_or<std::string>(j, "lambda0_source", "H_inf"));
  f.variables.emplace_back("heading", "Kernel and movement: " + run.subject);
  return f;
}

// ------------------------------------------------------------------------------ compare

struct TextCsv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
};

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, ',')) {
    while (!field.empty() && (field.back() == '\r' || field.back() == ' ')) field.pop_back();
    while (!field.empty() && field.front() == ' ') field.erase(field.begin());
    out.push_back(field);
  }
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

TextCsv read_text_csv(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw input_error("cannot open '" + p.string() + "'");
  TextCsv t;
  std::string line;
  if (!std::getline(in, line)) throw input_error("'" + p.string() + "' is empty");
  t.header = split_commas(line);
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    auto row = split_commas(line);
    if (row.size() != t.header.size())
      throw input_error("'" + p.string() + "': a row has " + std::to_string(row.size()) + " fields, expected " +
                        std::to_string(t.header.size()));
    t.rows.push_back(std::move(row));
  }
  return t;
}

double to_double(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return end == s.c_str() ? std::numeric_limits<double>::quiet_NaN() : v;
}

}  // namespace

std::string Figure::variable(const std::string& name) const {
  for (const auto& [k, v] : variables)
    if (k == name) return v;
  return "";
}

std::vector<std::string> figure_files(const std::string& dir) {
  std::vector<std::string> names;
  for (const char* kind : {"loss", "lyapunov", "invariants", "ntk", "compare"})
    for (const char* ext : {".png", ".svg"})
      if (fs::exists(fs::path(dir) / (std::string(kind) + ext))) names.push_back(std::string(kind) + ext);
  return names;
}

bool gnuplot_available() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

Rendered render_figure(const Figure& f, const std::string& dir) {
  const fs::path tmpl = resource_path("plots/" + f.template_name + ".gp");
  const fs::path errors = fs::absolute(fs::path(f.stem + ".gnuplot.log"));
  std::ostringstream script;
  script << "cd " << gnuplot_quote(fs::absolute(dir).string(), "output folder") << "\n";
  const std::pair<const char*, const char*> outputs[] = {{"pngcairo", ".png"}, {"svg dynamic", ".svg"}};
  for (const auto& [term, ext] : outputs) {
    for (const auto& [name, value] : f.variables) script << name << " = " << gnuplot_quote(value, "figure " + f.stem + ", " + name) << "\n";
    script << "set encoding utf8\n";
    script << "set terminal " << term << " size " << f.width << "," << f.height << " font 'Sans,11'\n";
    script << "set output " << gnuplot_quote(fs::absolute(f.stem + ext).string(), "output folder") << "\n";
    script << "load " << gnuplot_quote(tmpl.string(), "plot template") << "\n";
    script << "unset multiplot\n";  // in case the template stopped on an error inside one
    script << "unset output\n";
    script << "reset session\n";
  }
  script << "exit\n";
  Rendered r{script.str(), ""};
  {
    // gnuplot-iostream runs the command through the shell: its stderr goes to the log.
    Gnuplot gp("gnuplot 2> " + shell_quote(errors.string(), "output folder") + " || true");  // errors are in the log
    gp << r.script;
  }  // the destructor waits for gnuplot to finish
  r.errors = slurp(errors);
  if (r.errors.empty()) fs::remove(errors);
  return r;
}

std::string render(const Figure& figure, const std::string& dir) { return render_figure(figure, dir).errors; }

std::vector<Figure> plan_run_figures(const std::string& dir) {
  const RunData run = load_run(dir);
  std::vector<Figure> figures;
  for (auto plan : {loss_figure, lyapunov_figure, invariants_figure, ntk_figure})
    if (auto f = plan(run, dir)) figures.push_back(std::move(*f));
  return figures;
}

std::string render_run_figures(const std::string& dir) {
  // A folder written by `gradflow compare` alone holds compare.csv and no run.json.
  if (!fs::exists(fs::path(dir) / "run.json") && fs::exists(fs::path(dir) / "compare.csv")) {
    const std::string e = render_compare_figure(dir);
    return e.empty() ? e : "compare: " + e;
  }
  const std::vector<Figure> figures = plan_run_figures(dir);
  std::string errors;
  for (const std::string kind : {"loss", "lyapunov", "invariants", "ntk"}) {
    const auto it = std::find_if(figures.begin(), figures.end(), [&](const Figure& f) { return f.template_name == kind; });
    if (it == figures.end()) {
      // A figure this run does not get must not survive from an earlier run in the folder.
      std::error_code ec;
      for (const char* ext : {".png", ".svg"}) fs::remove(fs::path(dir) / (kind + ext), ec);
      continue;
    }
    const std::string e = render(*it, dir);
    if (!e.empty()) errors += kind + ": " + e;
  }
  if (fs::exists(fs::path(dir) / "compare.csv")) {
    const std::string e = render_compare_figure(dir);
    if (!e.empty()) errors += "compare: " + e;
  }
  return errors;
}

Figure plan_compare_figure(const std::string& dir) {
  const fs::path path = fs::path(dir) / "compare.csv";
  if (!fs::exists(path)) throw input_error("'" + dir + "' holds no compare.csv");
  const TextCsv csv = read_text_csv(path);
  const int c_method = csv.column("method"), c_eta = csv.column("eta");
  if (c_method < 0 || c_eta < 0) throw input_error("'" + path.string() + "' lacks a 'method' or 'eta' column");
  static const std::vector<std::pair<std::string, std::string>> quantities = {
      {"max_param_dev", "max_k ‖θ_k − θ(t_k)‖"},
      {"max_loss_dev", "max_k |L(θ_k) − L(θ(t_k))|"},
      {"imbalance_drift", "invariant drift of the iteration"}};
  std::vector<std::string> methods;
  for (const auto& row : csv.rows)
    if (std::find(methods.begin(), methods.end(), row[c_method]) == methods.end()) methods.push_back(row[c_method]);

  // Series are grouped by panel: panel j draws data series first[j]..last[j] and fitted
  // lines fit_first[j]..fit_last[j] (1-based; an empty range has last = first - 1).
  std::vector<std::string> panels, panel_labels, first, last, fit_first, fit_last;
  std::vector<std::string> s_methods, s_cols, s_titles, s_colors, f_c, f_p, f_colors;
  for (const auto& [q, label] : quantities) {
    const int c = csv.column(q);
    if (c < 0) continue;
    const std::size_t s0 = s_methods.size(), f0 = f_c.size();
    for (std::size_t mi = 0; mi < methods.size(); ++mi) {
      // Least squares in (log η, log deviation) over this method's positive, finite rows.
      std::vector<std::pair<double, double>> pts;
      double given_slope = std::numeric_limits<double>::quiet_NaN();
      const int c_slope = csv.column("slope_" + q);
      for (const auto& row : csv.rows) {
        if (row[c_method] != methods[mi]) continue;
        const double eta = to_double(row[c_eta]), v = to_double(row[c]);
        if (c_slope >= 0 && std::isfinite(to_double(row[c_slope]))) given_slope = to_double(row[c_slope]);
        if (eta > 0 && v > 0 && std::isfinite(eta) && std::isfinite(v)) pts.emplace_back(std::log(eta), std::log(v));
      }
      if (pts.empty()) continue;
      const double slope = std::isfinite(given_slope) ? given_slope : fit_line(pts).slope;
      double mean_x = 0, mean_y = 0;
      for (const auto& [x, y] : pts) {
        mean_x += x / static_cast<double>(pts.size());
        mean_y += y / static_cast<double>(pts.size());
      }
      std::string title = methods[mi];
      if (std::isfinite(slope)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, ": fitted slope %.2f", slope);
        title += buf;
        f_c.push_back(num(std::exp(mean_y - slope * mean_x)));  // the best line of that slope
        f_p.push_back(num(slope));
        f_colors.push_back(std::to_string(mi + 1));
      }
      s_methods.push_back(methods[mi]);
      s_cols.push_back(q);
      s_titles.push_back(title);
      s_colors.push_back(std::to_string(mi + 1));
    }
    if (s_methods.size() == s0) continue;
    panels.push_back(q);
    panel_labels.push_back(label);
    first.push_back(std::to_string(s0 + 1));
    last.push_back(std::to_string(s_methods.size()));
    fit_first.push_back(std::to_string(f0 + 1));
    fit_last.push_back(std::to_string(f_c.size()));
  }
  if (panels.empty())
    throw input_error("'" + path.string() + "' has no positive values in max_param_dev, max_loss_dev or imbalance_drift");

  std::string heading = "Discrete methods against their flows";
  if (fs::exists(fs::path(dir) / "run.json")) {
    try {
      heading += ": " + load_run(dir).subject;
    } catch (const std::exception&) {
    }
  }
  // x from a little below the smallest η to a little above the largest (log axes would
  // otherwise round out to whole decades and squeeze a short grid).
  double eta_lo = INFINITY, eta_hi = -INFINITY;
  std::vector<std::string> etas;  // the grid, as x tics
  for (const auto& row : csv.rows) {
    const double eta = to_double(row[c_eta]);
    if (std::isfinite(eta) && eta > 0) {
      if (std::find(etas.begin(), etas.end(), num(eta)) == etas.end()) etas.push_back(num(eta));
      eta_lo = std::min(eta_lo, eta);
      eta_hi = std::max(eta_hi, eta);
    }
  }
  const int n = static_cast<int>(panels.size());
  Figure f{"compare", (fs::path(dir) / "compare").string(), {}, n == 1 ? 900 : 560 * n, 640};
  f.variables = {{"file", "compare.csv"},
                 {"panels", word_list(panels)},
                 {"panel_labels", word_list(panel_labels)},
                 {"first", word_list(first)},
                 {"last", word_list(last)},
                 {"methods", word_list(s_methods)},
                 {"cols", word_list(s_cols)},
                 {"titles", word_list(s_titles)},
                 {"colors", word_list(s_colors)},
                 {"fit_first", word_list(fit_first)},
                 {"fit_last", word_list(fit_last)},
                 {"fit_c", word_list(f_c)},
                 {"fit_p", word_list(f_p)},
                 {"fit_colors", word_list(f_colors)},
                 {"heading", heading},
                 {"etas", word_list(etas)},
                 {"xmin", eta_hi > 0 ? num(eta_lo / 1.4) : ""},
                 {"xmax", eta_hi > 0 ? num(eta_hi * 1.4) : ""}};
  return f;
}

std::string render_compare_figure(const std::string& dir) { return render(plan_compare_figure(dir), dir); }

}  // namespace gradflow
