#pragma once
// Observers receive the rows of every method as they are produced: a CSV file, a progress
// line, a live plot, a stop rule. All hooks are optional; on_sample can stop the method.
// Columns are found by name from on_begin's list (t is always first).
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "gradflow/core/outcome.hpp"

namespace gradflow {

/// Why an observer ended a method, and how it ends.
struct Stop {
  Status status;
  std::string message;
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_begin(const std::string& /*method*/, const std::vector<std::string>& /*columns*/) {}
  /// One sample's row, t first; a Stop ends the method there with its status.
  virtual std::optional<Stop> on_sample(const std::string& /*method*/, const std::vector<double>& /*row*/) {
    return std::nullopt;
  }
  virtual void on_end(const std::string& /*method*/, const Outcome& /*outcome*/) {}
};

/// Ends a method whose loss is not finite or exceeds `factor`·L(0) (status diverged).
class DivergenceStop final : public Observer {
 public:
  DivergenceStop(double factor, double loss0) : factor_(factor), loss0_(loss0) {}
  void on_begin(const std::string&, const std::vector<std::string>& columns) override;
  std::optional<Stop> on_sample(const std::string&, const std::vector<double>& row) override;

 private:
  double factor_, loss0_;
  int loss_ = -1;
};

/// Ends a method once its loss falls below `target` (status target_reached); 0 never stops.
class LossTargetStop final : public Observer {
 public:
  explicit LossTargetStop(double target) : target_(target) {}
  void on_begin(const std::string&, const std::vector<std::string>& columns) override;
  std::optional<Stop> on_sample(const std::string&, const std::vector<double>& row) override;

 private:
  double target_;
  int loss_ = -1;
};

/// Ends a method once SIGINT or SIGTERM has arrived (status interrupted; core/interrupt.hpp).
class InterruptStop final : public Observer {
 public:
  std::optional<Stop> on_sample(const std::string&, const std::vector<double>&) override;
};

/// The rows of one method, kept in memory.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;

  int column(const std::string& name) const;  ///< index or -1
  std::vector<double> values(const std::string& name) const;
};

/// Writes <dir>/<method>.csv as rows arrive (flushed per row, so a crash keeps what was done).
class CsvSink final : public Observer {
 public:
  explicit CsvSink(std::string dir) : dir_(std::move(dir)) {}
  void on_begin(const std::string& method, const std::vector<std::string>& columns) override;
  std::optional<Stop> on_sample(const std::string& method, const std::vector<double>& row) override;
  void on_end(const std::string& method, const Outcome& outcome) override;

 private:
  std::string dir_;
  std::ofstream out_;
};

/// Reads a CSV written by CsvSink.
Table read_csv_table(const std::string& path);

}  // namespace gradflow
