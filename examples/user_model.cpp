// user_model: a model kind of your own, registered beside the built-in ones and then named by
// an experiment file like any of them (model.kind = "random_features").
//
// The model is a random-features regression: fixed random ReLU features of the inputs,
// Φ = relu(X V)/√m with V ~ N(0, 1) of size d×m, and a trained linear readout, f = Φ w.
// It is linear in θ = w, so J = Φ, ∇L = Φᵀ(f − y) and the NTK H = ΦΦᵀ is constant: gradient
// flow is exactly the linear ODE Δ̇ = −HΔ.
//
// The kind is one static Registration<ModelKind>, as in the library's lib/src/kinds/; its
// `width` key is parsed, defaulted, checked and documented by the library.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "gradflow/core/error.hpp"
#include "gradflow/experiment/config.hpp"
#include "gradflow/experiment/experiment.hpp"
#include "gradflow/experiment/run_report.hpp"
#include "gradflow/experiment/runner.hpp"
#include "gradflow/registry/model_kind.hpp"

namespace {

using gradflow::Index;
using gradflow::Mat;
using gradflow::Vec;

class RandomFeatures final : public gradflow::Model {
 public:
  /// `V` (d×m) draws the features; the readout w is θ.
  RandomFeatures(const Mat& X, const Mat& V)
      : phi_((X * V).cwiseMax(0.0) / std::sqrt(static_cast<double>(V.cols()))) {}

  std::string kind() const override { return "random_features"; }
  Index num_params() const override { return phi_.cols(); }
  Index num_outputs() const override { return phi_.rows(); }

  void predict(const Vec& w, Vec& f) const override { f.noalias() = phi_ * w; }
  void gradient(const Vec&, const Vec& r, Vec& g) const override { g.noalias() = phi_.transpose() * r; }
  void jvp(const Vec&, const Vec& v, Vec& Jv) const override { Jv.noalias() = phi_ * v; }
  void ntk(const Vec&, Mat& H) const override { H.noalias() = phi_ * phi_.transpose(); }

 private:
  Mat phi_;  // n×m
};

const gradflow::Registration<gradflow::ModelKind> random_features{{
    .name = "random_features",
    .summary = "f = relu(X V) w / sqrt(m): fixed random ReLU features, trained linear readout w",
    .keys = {{"width", gradflow::KeyType::integer, 500L, "number of random features m"}},
    .validate =
        [](const gradflow::Params& p, const gradflow::Dataset& data) {
          if (p.integer("width") < 1) throw gradflow::input_error("model.width: must be at least 1");
          if (data.k() != 1) throw gradflow::input_error("model.kind: random_features has one output");
        },
    .build =
        [](const gradflow::Params& p, const gradflow::Dataset& data, gradflow::Rng& rng) {
          const Index m = p.integer("width");
          const Mat V = rng.normal(data.d(), m);
          const Vec w0 = rng.normal(m, 1);
          return gradflow::ModelInstance{std::make_unique<RandomFeatures>(data.X, V), w0};
        },
}};

const char* experiment_toml = R"(
seed = 3

[data]
kind = "sphere"
n = 20
d = 10

[model]
kind = "random_features"
width = 400

[run]
t_end = 20.0
samples = 101

[[methods]]
kind = "gf"

[[methods]]
kind = "gd"
eta = 0.05
)";

}  // namespace

int main() {
  gradflow::Config config = gradflow::Config::parse(experiment_toml, "user_model");
  const gradflow::Experiment experiment = gradflow::parse_experiment(config);
  const gradflow::RunResult result = gradflow::run_experiment(experiment, {});
  std::printf("%s", gradflow::summary(experiment, result).c_str());

  for (const auto& method : result.methods)
    if (method.outcome.status != gradflow::Status::completed || !(method.final_value("loss") < result.loss0)) return 1;
  return 0;
}
