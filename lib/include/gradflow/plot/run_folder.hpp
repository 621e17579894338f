#pragma once
// Reading what the figures are planned from: a finished run folder (run.json and one CSV
// per method) and compare.csv. Nothing here decides what is drawn (plot/plan.hpp does).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gradflow/observe/sink.hpp"

namespace gradflow {

struct MethodKind;

/// One method of a run folder, with its rows.
struct RunMethod {
  std::string name, kind, csv;  ///< csv: the file name inside the folder
  /// The kind's descriptor; null for a kind this program does not know (say, from another
  /// program's registry), which is then drawn as a flow.
  const MethodKind* descriptor = nullptr;
  Table table;

  /// An iteration rather than a flow.
  bool discrete() const;
  /// The flow a discrete method discretises, by kind name ("" for flows and unknown kinds).
  std::string twin() const;
};

struct RunFolder {
  nlohmann::json json;  ///< run.json as written
  std::vector<RunMethod> methods;
  std::string reduction = "sum";  ///< loss convention
  double loss_p = 2.0;            ///< the loss's exponent: 2 for the squared loss (loss_kind, loss_p of run.json)
  std::string subject;  ///< "two_layer (tanh, m=1000) on sphere (n=50, d=10), 11000 parameters"
  double n = 1;         ///< data points
};

/// Reads <dir>/run.json and every method's CSV. Method and CSV names must be identifiers
/// (they reach gnuplot). Throws input_error when run.json or a CSV is missing or malformed.
RunFolder read_run_folder(const std::string& dir);

/// A CSV read as text: compare.csv, whose `method` column is not numeric.
struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int column(const std::string& name) const;  ///< index or -1
};

/// Reads a CSV with a header line; fields are trimmed. Throws input_error when it is missing,
/// empty or a row's field count differs from the header's.
TextTable read_text_table(const std::string& path);

/// A cell as a number: NaN when it is no number.
double cell_number(const std::string& cell);

/// j[key] when j is an object holding a non-null key, else `fallback`.
template <class T>
T json_or(const nlohmann::json& j, const char* key, T fallback) {
  return j.is_object() && j.contains(key) && !j[key].is_null() ? j[key].get<T>() : fallback;
}

}  // namespace gradflow
