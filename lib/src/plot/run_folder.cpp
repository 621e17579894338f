#include "gradflow/plot/run_folder.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/registry/method_kind.hpp"
#include "gradflow/registry/model_kind.hpp"

namespace gradflow {
namespace {

namespace fs = std::filesystem;

std::string file_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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

}  // namespace

bool RunMethod::discrete() const { return descriptor && descriptor->discrete(); }

std::string RunMethod::twin() const { return discrete() && !descriptor->twins.empty() ? descriptor->twins.front() : ""; }

RunFolder read_run_folder(const std::string& dir) {
  const fs::path report = fs::path(dir) / "run.json";
  if (!fs::exists(report)) throw input_error("'" + dir + "' holds no run.json (not a finished gradflow run)");
  RunFolder run;
  try {
    run.json = nlohmann::json::parse(file_text(report));
    const auto& j = run.json;
    run.reduction = json_or<std::string>(j, "loss_reduction", "sum");
    // Runs from before the lp loss record no kind: they used the squared loss.
    if (json_or<std::string>(j, "loss_kind", "squared") == "lp") run.loss_p = json_or<double>(j, "loss_p", 2.0);
    const auto& data = j.contains("data") ? j["data"] : nlohmann::json::object();
    const auto& model = j.contains("model") ? j["model"] : nlohmann::json::object();
    run.n = static_cast<double>(json_or<long>(data, "n", 1));
    nlohmann::json cfg_model = nlohmann::json::object();
    if (j.contains("config") && j["config"].contains("model")) cfg_model = j["config"]["model"];
    std::string model_kind = json_or<std::string>(model, "kind", "model");
    std::string detail;
    if (const ModelKind* k = model_kinds().find(model_kind); k && k->describe) detail = k->describe(cfg_model);
    run.subject = model_kind + (detail.empty() ? "" : " (" + detail + ")") + " on " +
                  json_or<std::string>(data, "name", "data") + " (n=" + std::to_string(json_or<long>(data, "n", 0)) +
                  ", d=" + std::to_string(json_or<long>(data, "d", 0)) + "), " +
                  std::to_string(json_or<long>(model, "num_params", 0)) + " parameters";
    for (const auto& m : j.at("methods")) {
      RunMethod md;
      md.name = m.at("name").get<std::string>();
      md.kind = json_or<std::string>(m, "kind", "");
      // A folder may come from anyone: its names reach gnuplot, where a file '<cmd' is a pipe.
      require_identifier(md.name, report.string() + ": methods.name");
      md.csv = json_or<std::string>(m, "csv", md.name + ".csv");
      require_identifier(md.csv, report.string() + ": methods.csv");
      md.descriptor = method_kinds().find(md.kind);
      const fs::path csv = fs::path(dir) / md.csv;
      if (!fs::exists(csv)) throw input_error("run folder '" + dir + "' lacks " + md.csv);
      md.table = read_csv_table(csv.string());
      run.methods.push_back(std::move(md));
    }
  } catch (const nlohmann::json::exception& e) {
    throw input_error("'" + report.string() + "' is not a valid run report: " + e.what());
  }
  return run;
}

int TextTable::column(const std::string& name) const {
  const auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : static_cast<int>(it - header.begin());
}

TextTable read_text_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error("cannot open '" + path + "'");
  TextTable t;
  std::string line;
  if (!std::getline(in, line)) throw input_error("'" + path + "' is empty");
  t.header = split_commas(line);
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    auto row = split_commas(line);
    if (row.size() != t.header.size())
      throw input_error("'" + path + "': a row has " + std::to_string(row.size()) + " fields, expected " +
                        std::to_string(t.header.size()));
    t.rows.push_back(std::move(row));
  }
  return t;
}

double cell_number(const std::string& cell) {
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  return end == cell.c_str() ? std::numeric_limits<double>::quiet_NaN() : v;
}

}  // namespace gradflow
