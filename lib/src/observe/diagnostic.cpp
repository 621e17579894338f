#include "gradflow/core/types.hpp"
#include "gradflow/observe/diagnostic.hpp"

#include <algorithm>
#include <limits>

namespace gradflow {
namespace {


class ErrorGap final : public Diagnostic {
 public:
  explicit ErrorGap(const std::vector<Vec>& twin) : twin_(twin) {}
  std::vector<std::string> columns() const override { return {"error_gap"}; }
  void evaluate(Sample& s, std::span<double> out) override {
    out[0] = next_ < twin_.size() ? (s.residual() - twin_[next_]).norm() : nan;
    ++next_;
  }

 private:
  const std::vector<Vec>& twin_;
  std::size_t next_ = 0;
};

class NtkChange final : public Diagnostic {
 public:
  explicit NtkChange(Mat K0) : K0_(std::move(K0)), norm0_(K0_.norm()) {}
  std::vector<std::string> columns() const override { return {"ntk_change"}; }
  void evaluate(Sample& s, std::span<double> out) override { out[0] = (s.kernel() - K0_).norm() / norm0_; }

 private:
  Mat K0_;
  double norm0_;
};

class LossDiagnostic final : public Diagnostic {
 public:
  explicit LossDiagnostic(bool gradient) : gradient_(gradient) {}
  std::vector<std::string> columns() const override {
    return gradient_ ? std::vector<std::string>{"loss", "grad_norm"} : std::vector<std::string>{"loss"};
  }
  void evaluate(Sample& s, std::span<double> out) override {
    out[0] = s.loss();
    if (gradient_) out[1] = s.has_weights() ? s.gradient().norm() : std::numeric_limits<double>::quiet_NaN();
  }

 private:
  bool gradient_;
};

class DistanceDiagnostic final : public Diagnostic {
 public:
  explicit DistanceDiagnostic(Vec theta0) : theta0_(std::move(theta0)) {}
  std::vector<std::string> columns() const override { return {"dist_init"}; }
  void evaluate(Sample& s, std::span<double> out) override { out[0] = (*s.view().theta - theta0_).norm(); }

 private:
  Vec theta0_;
};

class LambdaMinDiagnostic final : public Diagnostic {
 public:
  std::vector<std::string> columns() const override { return {"lambda_min"}; }
  void evaluate(Sample& s, std::span<double> out) override { out[0] = s.lambda_min(); }
};

class ModelDiagnostic final : public Diagnostic {
 public:
  ModelDiagnostic(const Model& model, Vec theta0) : model_(model), theta0_(std::move(theta0)) {}
  std::vector<std::string> columns() const override { return model_.diagnostic_columns(); }
  void evaluate(Sample& s, std::span<double> out) override { model_.diagnostics(*s.view().theta, theta0_, out); }

 private:
  const Model& model_;
  Vec theta0_;
};

}  // namespace

std::unique_ptr<Diagnostic> loss_diagnostic(bool gradient) { return std::make_unique<LossDiagnostic>(gradient); }
std::unique_ptr<Diagnostic> distance_diagnostic(Vec theta0) {
  return std::make_unique<DistanceDiagnostic>(std::move(theta0));
}
std::unique_ptr<Diagnostic> lambda_min_diagnostic() { return std::make_unique<LambdaMinDiagnostic>(); }
std::unique_ptr<Diagnostic> model_diagnostic(const Model& model, Vec theta0) {
  return std::make_unique<ModelDiagnostic>(model, std::move(theta0));
}
std::unique_ptr<Diagnostic> ntk_change_diagnostic(Mat K0) { return std::make_unique<NtkChange>(std::move(K0)); }
std::unique_ptr<Diagnostic> error_gap_diagnostic(const std::vector<Vec>& twin) {
  return std::make_unique<ErrorGap>(twin);
}

Recorder::Recorder(Diagnostics diagnostics) : diagnostics_(std::move(diagnostics)) {
  columns_.push_back("t");
  for (const auto& d : diagnostics_) {
    auto cols = d->columns();
    widths_.push_back(cols.size());
    columns_.insert(columns_.end(), cols.begin(), cols.end());
  }
}

std::vector<double> Recorder::row(Sample& sample) {
  std::vector<double> r(columns_.size(), 0.0);
  r[0] = sample.t();
  std::size_t at = 1;
  for (std::size_t i = 0; i < diagnostics_.size(); ++i) {
    diagnostics_[i]->evaluate(sample, std::span<double>(r.data() + at, widths_[i]));
    at += widths_[i];
  }
  return r;
}

int Recorder::column(const std::string& name) const {
  const auto it = std::find(columns_.begin(), columns_.end(), name);
  return it == columns_.end() ? -1 : static_cast<int>(it - columns_.begin());
}

}  // namespace gradflow
