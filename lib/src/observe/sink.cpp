#include "gradflow/observe/sink.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/interrupt.hpp"

namespace gradflow {

int Table::column(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  return it == columns.end() ? -1 : static_cast<int>(it - columns.begin());
}

std::vector<double> Table::values(const std::string& name) const {
  const int c = column(name);
  std::vector<double> v;
  if (c < 0) return v;
  for (const auto& r : rows) v.push_back(r[static_cast<std::size_t>(c)]);
  return v;
}

void CsvSink::on_begin(const std::string& method, const std::vector<std::string>& columns) {
  out_.close();
  out_.open(dir_ + "/" + method + ".csv");
  if (!out_) throw input_error("cannot write '" + dir_ + "/" + method + ".csv'");
  for (std::size_t i = 0; i < columns.size(); ++i) out_ << (i ? "," : "") << columns[i];
  out_ << '\n';
}

std::optional<Stop> CsvSink::on_sample(const std::string&, const std::vector<double>& row) {
  char buf[32];
  for (std::size_t i = 0; i < row.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.10g", row[i]);
    out_ << (i ? "," : "") << buf;
  }
  out_ << '\n';
  out_.flush();
  return std::nullopt;
}

void CsvSink::on_end(const std::string&, const Outcome&) { out_.close(); }

namespace {

int loss_column(const std::vector<std::string>& columns) {
  const auto it = std::find(columns.begin(), columns.end(), "loss");
  return it == columns.end() ? -1 : static_cast<int>(it - columns.begin());
}

}  // namespace

std::optional<Stop> InterruptStop::on_sample(const std::string&, const std::vector<double>&) {
  if (const int signal = interrupt_signal())
    return Stop{Status::interrupted, interrupt_message(signal)};
  return std::nullopt;
}

void DivergenceStop::on_begin(const std::string&, const std::vector<std::string>& columns) { loss_ = loss_column(columns); }

std::optional<Stop> DivergenceStop::on_sample(const std::string&, const std::vector<double>& row) {
  if (loss_ < 0) return std::nullopt;
  const double loss = row[static_cast<std::size_t>(loss_)];
  if (std::isfinite(loss) && loss <= factor_ * std::max(loss0_, 1e-300)) return std::nullopt;
  return Stop{Status::diverged, "loss " + std::to_string(loss) + " at t = " + std::to_string(row[0]) +
                                    (std::isfinite(loss) ? " exceeds run.divergence x L(0)" : " is not finite")};
}

void LossTargetStop::on_begin(const std::string&, const std::vector<std::string>& columns) { loss_ = loss_column(columns); }

std::optional<Stop> LossTargetStop::on_sample(const std::string&, const std::vector<double>& row) {
  if (loss_ < 0 || !(row[static_cast<std::size_t>(loss_)] < target_)) return std::nullopt;
  return Stop{Status::target_reached, "loss fell below run.loss_target at t = " + std::to_string(row[0])};
}

Table read_csv_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error("cannot open '" + path + "'");
  Table t;
  std::string line;
  if (!std::getline(in, line)) throw input_error("'" + path + "' is empty");
  std::stringstream header(line);
  std::string name;
  while (std::getline(header, name, ',')) t.columns.push_back(name);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream fields(line);
    std::vector<double> row;
    std::string f;
    while (std::getline(fields, f, ',')) row.push_back(std::strtod(f.c_str(), nullptr));
    if (row.size() != t.columns.size())
      throw input_error("'" + path + "': a row has " + std::to_string(row.size()) + " fields, expected " +
                        std::to_string(t.columns.size()));
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace gradflow
