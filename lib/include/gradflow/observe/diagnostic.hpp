#pragma once
// A diagnostic is a named group of columns evaluated at every sample of a method.
//
//   valid expression        meaning
//   d.columns()             column names (snake_case), fixed for the whole run
//   d.evaluate(sample, out) writes one value per column into out
//
// A diagnostic that does not apply at a sample writes NaN (written as "nan" in the CSV).
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gradflow/observe/sample.hpp"

namespace gradflow {

class Diagnostic {
 public:
  virtual ~Diagnostic() = default;
  virtual std::vector<std::string> columns() const = 0;
  virtual void evaluate(Sample& sample, std::span<double> out) = 0;
};

using Diagnostics = std::vector<std::unique_ptr<Diagnostic>>;

/// loss, grad_norm.
/// `gradient`: also grad_norm, which only methods on weights have (an error or exact method
/// has no θ, so the column would be empty).
std::unique_ptr<Diagnostic> loss_diagnostic(bool gradient = true);
/// dist_init = ‖θ − θ0‖.
std::unique_ptr<Diagnostic> distance_diagnostic(Vec theta0);
/// lambda_min = λ_min(H(θ)).
std::unique_ptr<Diagnostic> lambda_min_diagnostic();
/// The model's own columns (imbalance, balance, pattern_change, ...), relative to θ0.
std::unique_ptr<Diagnostic> model_diagnostic(const Model& model, Vec theta0);

/// ntk_change = ‖K(θ) − K(θ0)‖_F / ‖K(θ0)‖_F with K0 = K(θ0): how far the kernel moves (lazy training).
std::unique_ptr<Diagnostic> ntk_change_diagnostic(Mat K0);
/// error_gap = ‖Δ(t) − Δ_twin(t)‖ against the residuals of the weight-space twin at the same
/// samples (NaN past its last one). `twin` must outlive the diagnostic.
std::unique_ptr<Diagnostic> error_gap_diagnostic(const std::vector<Vec>& twin);

/// Evaluates a list of diagnostics into rows that start with t.
class Recorder {
 public:
  explicit Recorder(Diagnostics diagnostics);
  const std::vector<std::string>& columns() const { return columns_; }
  std::vector<double> row(Sample& sample);
  /// Index of a column, or -1.
  int column(const std::string& name) const;

 private:
  Diagnostics diagnostics_;
  std::vector<std::string> columns_;
  std::vector<std::size_t> widths_;
};

}  // namespace gradflow
