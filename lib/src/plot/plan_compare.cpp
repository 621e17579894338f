#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "gradflow/core/error.hpp"
#include "gradflow/core/fit.hpp"
#include "gradflow/plot/plan.hpp"

namespace gradflow {

namespace fs = std::filesystem;

Figure plan_compare_figure(const std::string& dir) {
  const fs::path path = fs::path(dir) / "compare.csv";
  if (!fs::exists(path)) throw input_error("'" + dir + "' holds no compare.csv");
  const TextTable csv = read_text_table(path.string());
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
        const double eta = cell_number(row[c_eta]), v = cell_number(row[c]);
        if (c_slope >= 0 && std::isfinite(cell_number(row[c_slope]))) given_slope = cell_number(row[c_slope]);
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
        f_c.push_back(gnuplot_number(std::exp(mean_y - slope * mean_x)));  // the best line of that slope
        f_p.push_back(gnuplot_number(slope));
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
      heading += ": " + read_run_folder(dir).subject;
    } catch (const std::exception&) {
    }
  }
  // x from a little below the smallest η to a little above the largest (log axes would
  // otherwise round out to whole decades and squeeze a short grid).
  double eta_lo = INFINITY, eta_hi = -INFINITY;
  std::vector<std::string> etas;  // the grid, as x tics
  for (const auto& row : csv.rows) {
    const double eta = cell_number(row[c_eta]);
    if (std::isfinite(eta) && eta > 0) {
      if (std::find(etas.begin(), etas.end(), gnuplot_number(eta)) == etas.end()) etas.push_back(gnuplot_number(eta));
      eta_lo = std::min(eta_lo, eta);
      eta_hi = std::max(eta_hi, eta);
    }
  }
  const int n = static_cast<int>(panels.size());
  Figure f{"compare", (fs::path(dir) / "compare").string(), {}, n == 1 ? 900 : 560 * n, 640, {"compare.csv"}, "eta"};
  f.log_x = true;
  f.variables = {{"file", "compare.csv"},
                 {"panels", gnuplot_words(panels)},
                 {"panel_labels", gnuplot_words(panel_labels)},
                 {"first", gnuplot_words(first)},
                 {"last", gnuplot_words(last)},
                 {"methods", gnuplot_words(s_methods)},
                 {"cols", gnuplot_words(s_cols)},
                 {"titles", gnuplot_words(s_titles)},
                 {"colors", gnuplot_words(s_colors)},
                 {"fit_first", gnuplot_words(fit_first)},
                 {"fit_last", gnuplot_words(fit_last)},
                 {"fit_c", gnuplot_words(f_c)},
                 {"fit_p", gnuplot_words(f_p)},
                 {"fit_colors", gnuplot_words(f_colors)},
                 {"heading", heading},
                 {"etas", gnuplot_words(etas)},
                 {"xmin", eta_hi > 0 ? gnuplot_number(eta_lo / 1.4) : ""},
                 {"xmax", eta_hi > 0 ? gnuplot_number(eta_hi * 1.4) : ""}};
  return f;
}

}  // namespace gradflow
