#pragma once
#include <vector>
// Training data: inputs X (n x d, one row per sample) and targets Y (n x k).
#include <string>

#include "gradflow/core/rng.hpp"
#include "gradflow/core/types.hpp"

namespace gradflow {

struct Dataset {
  Mat X;
  Mat Y;
  std::string name;
  std::string provenance;

  Index n() const { return X.rows(); }
  Index d() const { return X.cols(); }
  Index k() const { return Y.cols(); }
};

/// How to make or load a data set. Field names match the `[data]` keys of an experiment.
struct DataOptions {
  std::string kind = "sphere";  ///< sphere | gaussian | teacher | linear | csv | digits | diabetes | scalar
  Index n = 50;                 ///< samples (for built-in sets: a seeded subset; 0 = all)
  Index d = 10;                 ///< input dimension (synthetic kinds)
  Index k = 1;                  ///< output dimension (linear kind)
  double label_scale = 1.0;     ///< standard deviation of Gaussian labels
  double noise = 0.0;           ///< label noise standard deviation (teacher, linear)
  Index teacher_width = 20;     ///< hidden width of the teacher network
  std::string teacher_activation = "relu";
  bool orthogonal = false;      ///< linear: X is the Q factor of a Gaussian matrix
  /// linear: the teacher Θ (d×k) of Y = XΘ + noise; empty: N(0, 1/d) entries, else drawn by
  /// that initialiser (model/init.hpp: normal, ntk, lecun, xavier, he, uniform; fan_in d, fan_out k).
  std::string teacher_init;
  std::string path;             ///< csv: file to read
  Index target_columns = 1;     ///< csv: the last columns that are targets
  bool header = false;          ///< csv: skip the first line
  std::string normalize = "unit";   ///< built-in/csv inputs: none | standard | unit (rows on the sphere)
  std::string target = "label";     ///< digits: label | onehot
  bool standardize_targets = true;  ///< built-in/csv: zero mean, unit variance targets
  double y = 1.0;                   ///< scalar: the target of ½(y − w1 w2)²

  /// Throws input_error naming the first bad field.
  void validate() const;
};

Dataset make_dataset(const DataOptions& options, Rng& rng);

/// Reads a numeric table (comma, space or tab separated). Throws input_error naming the
/// file, line and column of the first entry that is not a finite number, is empty (between
/// two commas or tabs) or is so large that its square overflows. `lines`, when given,
/// receives the file's line number of each row.
Mat read_table(const std::string& path, bool header = false, std::vector<std::size_t>* lines = nullptr);

}  // namespace gradflow
