#pragma once
// sweep.csv's rows (experiment/sweep.hpp): read back from a done point's folder.
#include <filesystem>
#include <string>
#include <vector>

#include "gradflow/experiment/sweep.hpp"

namespace gradflow {

struct SweepRow {
  std::string method, kind, status;
  std::vector<double> metrics;  ///< sweep_metrics() order; NaN where the method has none
};

struct PointRows {
  std::size_t index = 0;
  std::string status;          ///< complete, or failed (then rows is empty)
  std::vector<SweepRow> rows;  ///< one per method
};

/// The rows of a committed point folder (run.json and the methods' CSVs).
std::vector<SweepRow> read_point_rows(const std::filesystem::path& folder);

/// The whole of sweep.csv for these points, in the order given.
std::string sweep_csv(const SweepPlan& plan, const std::vector<PointRows>& points);

}  // namespace gradflow
