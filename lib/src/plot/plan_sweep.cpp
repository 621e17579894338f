#include "gradflow/core/types.hpp"
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "gradflow/core/error.hpp"
#include "gradflow/core/fit.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/experiment/output_folder.hpp"
#include "gradflow/plot/render.hpp"
#include "gradflow/plot/sweep_plot.hpp"

namespace gradflow {
namespace {

namespace fs = std::filesystem;

/// One CSV record (RFC 4180 quoting, as sweep.csv writes it).
std::vector<std::string> split_record(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cells.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else cells.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

double parse_number(const std::string& s) {
  if (s.empty()) return nan;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return end && *end == '\0' ? v : nan;
}

/// Linear interpolation between order statistics (the usual "type 7" quantile).
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double at = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string file_part(const std::string& s) {
  std::string out;
  for (const char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
  return out;
}

bool spans_decade(const std::vector<double>& v) {
  double lo = INFINITY, hi = 0;
  for (const double x : v) {
    if (!(x > 0)) return false;
    lo = std::min(lo, x), hi = std::max(hi, x);
  }
  return !v.empty() && hi >= 10 * lo;
}

}  // namespace

PowerLaw fit_power_law(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<std::pair<double, double>> logs;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
    if (x[i] > 0 && y[i] > 0 && std::isfinite(x[i]) && std::isfinite(y[i])) logs.emplace_back(std::log(x[i]), std::log(y[i]));
  const LineFit line = fit_line(logs);
  return {line.slope, std::exp(line.intercept)};
}

std::vector<SweepSeries> sweep_series(const std::string& out, const SweepPlotOptions& o) {
  const fs::path csv_path = fs::path(out) / "sweep.csv";
  std::ifstream in(csv_path);
  if (!in) throw input_error("sweep-plot: no sweep.csv in '" + out + "'");
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split_record(line);
  auto column = [&](const std::string& name, const char* what) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw input_error("sweep-plot: " + std::string(what) + " '" + name + "' is not a column of " + csv_path.string());
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t method_col = column("method", "column");
  const std::size_t first_metric = column("status", "column") + 1;
  const std::size_t xc = column(o.x, "--x");
  if (xc == 0 || xc >= column("method", "column")) throw input_error("sweep-plot: --x '" + o.x + "' is not an axis of the sweep");
  std::optional<std::size_t> over;
  if (!o.over.empty() && std::find(header.begin(), header.end(), o.over) != header.end()) over = column(o.over, "--over");
  const auto slash = o.y.find('/');
  const std::size_t num = column(o.y.substr(0, slash), "--y");
  const std::optional<std::size_t> den = slash == std::string::npos ? std::nullopt : std::optional(column(o.y.substr(slash + 1), "--y"));
  if (num < first_metric || (den && *den < first_metric)) throw input_error("sweep-plot: --y '" + o.y + "' is not a metric column");

  // Series key: the method and the axes that are neither x nor over.
  std::map<std::string, std::map<double, std::vector<double>>> groups;
  std::vector<std::string> order;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto cells = split_record(line);
    if (cells.size() != header.size()) continue;
    const std::string& method = cells[method_col];
    if (method.empty()) continue;  // a failed point
    if (!o.methods.empty() && std::find(o.methods.begin(), o.methods.end(), method) == o.methods.end()) continue;
    const double x = parse_number(cells[xc]);
    if (!std::isfinite(x)) throw input_error("sweep-plot: --x '" + o.x + "' holds '" + printable(cells[xc]) + "', not a number");
    double y = parse_number(cells[num]);
    if (den) y /= parse_number(cells[*den]);
    std::string key = method;
    for (std::size_t c = 1; c < method_col; ++c)
      if (c != xc && (!over || c != *over)) key += ", " + header[c] + "=" + cells[c];
    if (!groups.count(key)) order.push_back(key);
    auto& at = groups[key][x];
    if (std::isfinite(y)) at.push_back(y);
  }
  std::vector<SweepSeries> series;
  for (const auto& key : order) {
    SweepSeries s;
    s.label = key;
    for (const auto& [x, ys] : groups[key]) {
      if (ys.empty()) continue;
      s.x.push_back(x);
      s.median.push_back(quantile(ys, 0.5));
      s.low.push_back(quantile(ys, 0.25));
      s.high.push_back(quantile(ys, 0.75));
      s.count.push_back(ys.size());
    }
    if (s.x.empty()) continue;
    s.fit = fit_power_law(s.x, s.median);
    series.push_back(std::move(s));
  }
  if (series.empty())
    throw input_error("sweep-plot: no finite values of '" + o.y + "'" + (o.methods.empty() ? "" : " for the methods chosen"));
  return series;
}

std::pair<std::string, std::string> render_sweep_plot(const std::string& out, const SweepPlotOptions& o,
                                                      const std::vector<SweepSeries>& series) {
  const std::string stem = "sweep_" + file_part(o.y) + "_vs_" + file_part(o.x);
  const fs::path data = fs::path(out) / "plot_data";
  fs::create_directories(data);
  std::vector<std::string> files, titles, fits, exponents, prefactors;
  std::vector<double> all_x, all_y;
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const std::string file = "plot_data/" + stem + "_" + std::to_string(k + 1) + ".csv";
    std::string text = "x,median,low,high,count\n";
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      text += gnuplot_number(s.x[i]) + "," + gnuplot_number(s.median[i]) + "," + gnuplot_number(s.low[i]) + "," +
              gnuplot_number(s.high[i]) + "," + std::to_string(s.count[i]) + "\n";
      all_x.push_back(s.x[i]);
      all_y.push_back(s.low[i]);
      all_y.push_back(s.high[i]);
    }
    write_atomically((fs::path(out) / file).string(), text);
    files.push_back(file);
    titles.push_back(s.label);
    const bool fitted = o.fit && std::isfinite(s.fit.exponent);
    char buf[96];
    std::snprintf(buf, sizeof buf, "fit %.3g x^{%.3f}", s.fit.prefactor, s.fit.exponent);
    fits.push_back(fitted ? buf : "");
    exponents.push_back(fitted ? gnuplot_number(s.fit.exponent) : "0");
    prefactors.push_back(fitted ? gnuplot_number(s.fit.prefactor) : "0");
  }
  Figure f{"sweep", (fs::path(out) / stem).string(), {}, 900, 600, files, "x", {"median", "low", "high"}};
  f.log_x = spans_decade(all_x);
  f.variables.emplace_back("files", gnuplot_words(files));
  f.variables.emplace_back("titles", gnuplot_words(titles));
  f.variables.emplace_back("fit_titles", gnuplot_words(fits));
  f.variables.emplace_back("exponents", gnuplot_words(exponents));
  f.variables.emplace_back("prefactors", gnuplot_words(prefactors));
  f.variables.emplace_back("logx", f.log_x ? "1" : "0");
  f.variables.emplace_back("logy", spans_decade(all_y) ? "1" : "0");
  f.variables.emplace_back("xlabel", o.x);
  f.variables.emplace_back("ylabel", o.y);
  f.variables.emplace_back("heading", o.y + " against " + o.x + (o.over.empty() ? "" : ": median and quartiles over " + o.over));
  f.variables.emplace_back("hline", o.hline ? gnuplot_number(*o.hline) : "");
  f.variables.emplace_back("hline_title", o.hline_title);
  return {stem, render(f, out)};
}

}  // namespace gradflow
