// sweep.csv: one row per point × method, the coordinates and the summary metrics read back from
// the point's folder (run.json and the method's CSV).
#include "gradflow/core/types.hpp"
#include "table.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

namespace gradflow {
namespace {

namespace fs = std::filesystem;

/// What the metrics take from a method's CSV: extremes of some columns and the drift of one.
struct ColumnSummary {
  double min_lambda_min = nan, max_pattern_change = nan, max_w_change = nan, max_dist_init = nan, balance_drift = nan;
};

void fold_max(double& acc, double v) {
  if (std::isfinite(v)) acc = std::isnan(acc) ? v : std::max(acc, v);
}
void fold_min(double& acc, double v) {
  if (std::isfinite(v)) acc = std::isnan(acc) ? v : std::min(acc, v);
}

ColumnSummary summarise_csv(const fs::path& path) {
  ColumnSummary s;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return s;
  std::vector<std::string> header;
  {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) header.push_back(cell);
  }
  auto column = [&](const char* name) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<long>(i);
    return -1L;
  };
  const long lm = column("lambda_min"), pc = column("pattern_change"), wc = column("max_w_change"),
             di = column("dist_init"), ba = column("balance");
  double balance0 = nan;
  std::vector<double> row(header.size());
  while (std::getline(in, line)) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < header.size(); ++i) {
      const auto end = line.find(',', start);
      row[i] = std::strtod(line.c_str() + start, nullptr);
      if (end == std::string::npos) {
        for (std::size_t k = i + 1; k < header.size(); ++k) row[k] = nan;
        break;
      }
      start = end + 1;
    }
    if (lm >= 0) fold_min(s.min_lambda_min, row[lm]);
    if (pc >= 0) fold_max(s.max_pattern_change, row[pc]);
    if (wc >= 0) fold_max(s.max_w_change, row[wc]);
    if (di >= 0) fold_max(s.max_dist_init, row[di]);
    if (ba >= 0 && std::isfinite(row[ba])) {
      if (std::isnan(balance0)) balance0 = row[ba];
      fold_max(s.balance_drift, std::abs(row[ba] - balance0));
    }
  }
  return s;
}

double number_or_nan(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : nan;
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
std::string cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string q = "\"";
  for (const char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string format(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

const std::vector<std::string>& sweep_metrics() {
  static const std::vector<std::string> names = {
      "final_loss",    "fitted_rate",   "t_reached", "min_lambda_min", "max_pattern_change", "max_w_change",
      "max_dist_init", "balance_drift", "lambda0",   "lambda_min_h0",  "rhs_evals",          "steps",
      "wall_seconds"};
  return names;
}

std::vector<SweepRow> read_point_rows(const fs::path& folder) {
  std::ifstream in(folder / "run.json");
  const nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  std::vector<SweepRow> rows;
  if (report.is_discarded() || !report.contains("methods")) return rows;
  for (const auto& m : report["methods"]) {
    SweepRow r;
    r.method = m.value("name", "");
    r.kind = m.value("kind", "");
    r.status = m.value("status", "");
    const ColumnSummary c = summarise_csv(folder / m.value("csv", r.method + ".csv"));
    const nlohmann::json counters = m.value("counters", nlohmann::json::object());
    const double steps = number_or_nan(counters, "steps_accepted");
    r.metrics = {number_or_nan(m, "final_loss"),   number_or_nan(m, "fitted_rate"), number_or_nan(m, "t_reached"), c.min_lambda_min,
                 c.max_pattern_change,      c.max_w_change,           c.max_dist_init,        c.balance_drift,
                 number_or_nan(report, "lambda0"), number_or_nan(report, "lambda_min_H0"), number_or_nan(counters, "rhs_evals"),
                 std::isnan(steps) ? number_or_nan(counters, "iterations") : steps,
                 number_or_nan(counters, "wall_seconds")};
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string sweep_csv(const SweepPlan& plan, const std::vector<PointRows>& points) {
  std::ostringstream csv;
  csv << "point";
  for (const auto& a : plan.axes) csv << "," << cell(a.key);
  csv << ",method,kind,status";
  for (const auto& m : sweep_metrics()) csv << "," << m;
  csv << "\n";
  for (const auto& p : points) {
    const SweepPoint& point = plan.points[p.index];
    auto prefix = [&] {
      csv << cell(point.name);
      for (const auto& [key, value] : point.coordinates) csv << "," << cell(value);
    };
    if (p.rows.empty()) {  // a failed point: one row with its status
      prefix();
      csv << ",,," << p.status << std::string(sweep_metrics().size(), ',') << "\n";
      continue;
    }
    for (const auto& r : p.rows) {
      prefix();
      csv << "," << cell(r.method) << "," << cell(r.kind) << "," << r.status;
      for (const double v : r.metrics) csv << "," << format(v);
      csv << "\n";
    }
  }
  return csv.str();
}

}  // namespace gradflow
