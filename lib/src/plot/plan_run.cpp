#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include "gradflow/plot/plan.hpp"
#include "gradflow/registry/method_kind.hpp"
#include "gradflow/registry/model_kind.hpp"

namespace gradflow {
namespace {

namespace fs = std::filesystem;

/// A method as the figures draw it: its colour (a 1-based palette index, the same in every
/// figure) and, for a discrete method, its open-marker point type (0: a flow, no markers).
struct Drawn {
  const RunMethod& method;
  bool discrete = false;
  int color = 1;
  int point = 0;
};

struct Styled {
  const RunFolder& folder;
  std::vector<Drawn> methods;
};

/// Colours: flows (and every other non-discrete method) in run.json order; a discrete method
/// takes the colour of its flow twin when that twin is in the run and not yet paired, else a
/// colour of its own. Open markers tell discrete methods apart.
Styled style(const RunFolder& folder) {
  Styled run{folder, {}};
  for (const auto& m : folder.methods) run.methods.push_back(Drawn{m, m.discrete()});
  static const int points[] = {6, 4, 8, 12, 10, 14};
  int colors = 0, discrete = 0;
  std::vector<bool> paired(run.methods.size(), false);
  for (auto& m : run.methods)
    if (!m.discrete) m.color = ++colors;
  for (auto& m : run.methods) {
    if (!m.discrete) continue;
    m.point = points[discrete++ % 6];
    m.color = 0;
    const std::string twin = m.method.twin();
    for (std::size_t k = 0; k < run.methods.size() && !twin.empty(); ++k)
      if (run.methods[k].method.kind == twin && !paired[k]) {
        paired[k] = true;
        m.color = run.methods[k].color;
        break;
      }
    if (m.color == 0) m.color = ++colors;
  }
  return run;
}

/// The distinct files of a figure's series lists, in order: what the template reads.
std::vector<std::string> distinct(std::initializer_list<const std::vector<std::string>*> lists) {
  std::vector<std::string> files;
  for (const auto* list : lists)
    for (const auto& f : *list)
      if (std::find(files.begin(), files.end(), f) == files.end()) files.push_back(f);
  return files;
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

std::string loss_label(const std::string& reduction, double p) {
  if (p != 2.0) {
    const std::string q = gnuplot_number(p);
    return reduction == "mean" ? "mean convention, L = (1/(" + q + "n)) Σ|f − y|^" + q
                               : "sum convention, L = (1/" + q + ") Σ|f − y|^" + q;
  }
  return reduction == "mean" ? "mean convention, L = (1/2n)‖f − y‖²" : "sum convention, L = ½‖f − y‖²";
}

/// Parallel lists of one series per entry, handed to a template as word lists.
struct SeriesLists {
  std::vector<std::string> files, cols, titles, colors, dashes, discrete, points;
  void add(const Drawn& m, const std::string& col, const std::string& title, int dash) {
    files.push_back(m.method.csv);
    cols.push_back(col);
    titles.push_back(title);
    colors.push_back(std::to_string(m.color));
    dashes.push_back(std::to_string(dash));
    discrete.push_back(m.discrete ? "1" : "0");
    points.push_back(std::to_string(m.point));
  }
  bool empty() const { return files.empty(); }
  void put(Figure& f) const {
    f.variables.emplace_back("files", gnuplot_words(files));
    f.variables.emplace_back("cols", gnuplot_words(cols));
    f.variables.emplace_back("titles", gnuplot_words(titles));
    f.variables.emplace_back("colors", gnuplot_words(colors));
    f.variables.emplace_back("dashes", gnuplot_words(dashes));
    f.variables.emplace_back("discrete", gnuplot_words(discrete));
    f.variables.emplace_back("points", gnuplot_words(points));
  }
};

/// Smallest and largest positive finite value of a column over all methods (NaN when none).
std::pair<double, double> positive_range(const Styled& run, const std::string& col) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& m : run.methods)
    for (const double v : m.method.table.values(col))
      if (std::isfinite(v) && v > 0) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!(hi > 0)) return {std::nan(""), std::nan("")};
  return {lo, hi};
}

std::string method_title(const Drawn& m) {
  return m.method.name + (m.discrete ? " (discrete)" : " (flow)");
}

std::optional<Figure> loss_figure(const Styled& run, const std::string& dir) {
  SeriesLists loss, bounds;
  for (const auto& m : run.methods) {
    if (stats(m.method.table, "loss").positive > 0) loss.add(m, "loss", m.method.name, 1);
    if (stats(m.method.table, "bound").positive > 0) bounds.add(m, "bound", m.method.name + ": bound", 2);
  }
  if (loss.empty()) return std::nullopt;
  Figure f{"loss", (fs::path(dir) / "loss").string(), {}, 900, 600, distinct({&loss.files, &bounds.files})};
  f.y_columns = {"loss", "bound"};
  loss.put(f);
  f.variables.emplace_back("bound_files", gnuplot_words(bounds.files));
  f.variables.emplace_back("bound_titles", gnuplot_words(bounds.titles));
  f.variables.emplace_back("bound_colors", gnuplot_words(bounds.colors));
  f.variables.emplace_back("bound_discrete", gnuplot_words(bounds.discrete));
  // y from the decade below the smallest loss to a decade above the largest: a bound that
  // starts far above the losses (NAG's ~1/t²) enters the frame where it becomes informative.
  const auto [lo, hi] = positive_range(run, "loss");
  f.variables.emplace_back("ymin", gnuplot_number(std::pow(10.0, std::floor(std::log10(lo)))));
  f.variables.emplace_back("ymax", gnuplot_number(std::pow(10.0, std::ceil(std::log10(hi)) + 1)));
  // Du et al.'s bound for relu2 (λ0 of H∞) when no method brings its own bound column.
  std::string du_l0, du_rate;
  const auto& j = run.folder.json;
  const bool has_flow = std::any_of(run.methods.begin(), run.methods.end(), [](const Drawn& m) {
    return m.method.descriptor && m.method.descriptor->gradient_flow;
  });
  const ModelKind* model_kind = j.contains("model") ? model_kinds().find(json_or<std::string>(j["model"], "kind", "")) : nullptr;
  const bool h_inf = json_or<std::string>(j, "lambda0_source", "") == "H_inf" || (model_kind && model_kind->infinite_kernel);
  const double lambda0 = json_or<double>(j, "lambda0", std::numeric_limits<double>::quiet_NaN());
  const double loss0 = json_or<double>(j, "loss0", std::numeric_limits<double>::quiet_NaN());
  // Du et al.'s bound is the squared loss's (p = 2).
  if (bounds.empty() && has_flow && h_inf && run.folder.loss_p == 2.0 && std::isfinite(lambda0) && lambda0 > 0 && std::isfinite(loss0) && loss0 > 0) {
    du_l0 = gnuplot_number(loss0);
    du_rate = gnuplot_number((run.folder.reduction == "mean" ? 1.0 / run.folder.n : 1.0) * lambda0);
  }
  f.variables.emplace_back("du_l0", du_l0);
  f.variables.emplace_back("du_rate", du_rate);
  f.variables.emplace_back("reduction", run.folder.reduction);
  f.variables.emplace_back("ylabel", "loss  (" + loss_label(run.folder.reduction, run.folder.loss_p) + ")");
  f.variables.emplace_back("heading", "Loss: " + run.folder.subject);
  return f;
}

std::optional<Figure> lyapunov_figure(const Styled& run, const std::string& dir) {
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
    for (const auto& m : run.methods) log = log && stats(m.method.table, col).negative == 0;
    const std::size_t s0 = s.files.size();
    for (const auto& m : run.methods) {
      const ColumnStats st = stats(m.method.table, col);
      if (log ? st.positive > 0 : st.finite > 0) s.add(m, col, m.method.name, 1);
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
  Figure f{"lyapunov", (fs::path(dir) / "lyapunov").string(), {}, columns == 1 ? 900 : 1200, rows == 1 ? 560 : 900, distinct({&s.files})};
  f.y_columns = panels;
  s.put(f);
  f.variables.emplace_back("panels", gnuplot_words(panels));
  f.variables.emplace_back("panel_labels", gnuplot_words(labels));
  f.variables.emplace_back("first", gnuplot_words(first));
  f.variables.emplace_back("last", gnuplot_words(last));
  f.variables.emplace_back("logy", gnuplot_words(logy));
  f.variables.emplace_back("layout", std::to_string(rows) + "," + std::to_string(columns));
  f.variables.emplace_back("ylabel", "energy  (" + run.folder.reduction + " convention of L)");
  f.variables.emplace_back("heading", "Lyapunov functions and pseudo-loss: " + run.folder.subject);
  return f;
}

std::optional<Figure> invariants_figure(const Styled& run, const std::string& dir) {
  static const std::vector<std::pair<std::string, std::string>> kinds = {
      {"imbalance", "imbalance: ‖(W1ᵀW1 − W2W2ᵀ)(t) − (same)(0)‖_F"},
      {"balance", "balance: max_k |(a_k² − ‖w_k‖²)(t) − (same)(0)|"}};
  SeriesLists s;
  std::string notes;
  for (const auto& [col, definition] : kinds) {
    bool shown = false;
    for (const auto& m : run.methods)
      if (stats(m.method.table, col).positive > 0) {
        s.add(m, col, method_title(m) + ": " + col, 1);
        shown = true;
      }
    if (shown) notes += (notes.empty() ? "" : "     ") + definition;
  }
  if (s.empty()) return std::nullopt;
  Figure f{"invariants", (fs::path(dir) / "invariants").string(), {}, 900, 560, distinct({&s.files})};
  f.y_columns = distinct({&s.cols});
  s.put(f);
  f.variables.emplace_back("notes", notes);
  f.variables.emplace_back("heading", "Conserved quantities: " + run.folder.subject);
  return f;
}

std::optional<Figure> ntk_figure(const Styled& run, const std::string& dir) {
  SeriesLists lam, dist;
  for (const auto& m : run.methods) {
    if (stats(m.method.table, "lambda_min").finite > 0) lam.add(m, "lambda_min", m.method.name, 1);
    if (stats(m.method.table, "dist_init").finite > 0) dist.add(m, "dist_init", m.method.name, 1);
  }
  if (lam.empty() && dist.empty()) return std::nullopt;
  const bool both = !lam.empty() && !dist.empty();
  Figure f{"ntk", (fs::path(dir) / "ntk").string(), {}, 900, both ? 820 : 500, distinct({&lam.files, &dist.files})};
  f.y_columns = {"lambda_min", "dist_init"};
  auto put = [&f](const std::string& prefix, const SeriesLists& s) {
    f.variables.emplace_back(prefix + "_files", gnuplot_words(s.files));
    f.variables.emplace_back(prefix + "_titles", gnuplot_words(s.titles));
    f.variables.emplace_back(prefix + "_colors", gnuplot_words(s.colors));
    f.variables.emplace_back(prefix + "_discrete", gnuplot_words(s.discrete));
    f.variables.emplace_back(prefix + "_points", gnuplot_words(s.points));
  };
  put("lambda", lam);
  put("dist", dist);
  const auto& j = run.folder.json;
  const double h0 = json_or<double>(j, "lambda_min_H0", std::numeric_limits<double>::quiet_NaN());
  const double lambda0 = json_or<double>(j, "lambda0", std::numeric_limits<double>::quiet_NaN());
  f.variables.emplace_back("lambda_h0", std::isfinite(h0) ? gnuplot_number(h0) : "");
  f.variables.emplace_back("lambda0", std::isfinite(lambda0) && lambda0 > 0 ? gnuplot_number(lambda0) : "");
  f.variables.emplace_back("lambda0_source", json_or<std::string>(j, "lambda0_source", "H_inf"));
  f.variables.emplace_back("heading", "Kernel and movement: " + run.folder.subject);
  return f;
}

}  // namespace

std::vector<Figure> plan_run_figures(const RunFolder& folder, const std::string& dir) {
  const Styled run = style(folder);
  std::vector<Figure> figures;
  for (auto plan : {loss_figure, lyapunov_figure, invariants_figure, ntk_figure})
    if (auto f = plan(run, dir)) figures.push_back(std::move(*f));
  return figures;
}

std::vector<Figure> plan_run_figures(const std::string& dir) { return plan_run_figures(read_run_folder(dir), dir); }

}  // namespace gradflow
