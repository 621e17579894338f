#include "gradflow/model/factory.hpp"

#include <cmath>

#include "gradflow/core/error.hpp"
#include "gradflow/model/linear.hpp"
#include "gradflow/model/linear2.hpp"
#include "gradflow/model/two_layer.hpp"

namespace gradflow {
namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw input_error("model." + key + ": " + why);
}

ModelInstance make_two_layer(const ModelOptions& o, const Dataset& data, Rng& rng) {
  const bool relu2 = o.kind == "relu2";
  TwoLayerOptions t;
  t.width = o.width;
  t.activation = relu2 || o.activation == "relu" ? Activation::relu
                 : o.activation == "tanh"        ? Activation::tanh
                                                 : Activation::softplus;
  t.beta = o.beta;
  const double m = static_cast<double>(o.width);
  t.scale = relu2 || o.scaling == "ntk" ? 1.0 / std::sqrt(m) : o.scaling == "mean_field" ? 1.0 / m : 1.0;
  t.train_outer = !relu2;
  const Mat W = init_matrix(o.width, data.d(), data.d(), o.width, o.init, rng);
  Vec a(o.width);
  for (Index r = 0; r < o.width; ++r) a(r) = relu2 ? rng.sign() : o.outer_scale * rng.normal();
  ModelInstance inst;
  if (relu2) {
    inst.model = std::make_unique<TwoLayer>(data.X, t, a);
    inst.theta0 = Eigen::Map<const Vec>(W.data(), W.size());
  } else {
    inst.model = std::make_unique<TwoLayer>(data.X, t);
    inst.theta0.resize(W.size() + o.width);
    inst.theta0 << Eigen::Map<const Vec>(W.data(), W.size()), a;
  }
  return inst;
}

ModelInstance make_linear2(const ModelOptions& o, const Dataset& data, Rng& rng) {
  const bool scalar = o.kind == "scalar";
  const Index d = data.d(), h = scalar ? 1 : o.width, k = data.k();
  auto model = std::make_unique<Linear2>(data.X, h, k, o.kind);
  Mat W1, W2;
  if (scalar) {
    W1 = Mat::Constant(1, 1, o.w1);
    W2 = Mat::Constant(1, 1, o.w2);
  } else if (o.init.scheme == "imbalance") {
    // Xu et al.: W1 = s U0, W2 = V0/s with s² = (σ + √(σ² + 4))/2, so E[D] ∝ σ I.
    const double s = std::sqrt((o.imbalance + std::sqrt(o.imbalance * o.imbalance + 4.0)) / 2.0);
    W1 = s * rng.normal(d, h);
    W2 = rng.normal(h, k) / s;
  } else if (o.init.scheme == "balanced") {
    // Spectral init: W0 = U Σ Vᵀ ~ N(0, scale²), W1 = U Σ^½ R, W2 = Rᵀ Σ^½ Vᵀ with R orthonormal
    // rows, so W1ᵀW1 = W2W2ᵀ = RᵀΣR and D(0) = 0.
    const Mat W0 = rng.normal(d, k, o.init.scale);
    Eigen::JacobiSVD<Mat> svd(W0, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Index r = svd.singularValues().size();
    Eigen::HouseholderQR<Mat> qr(rng.normal(h, r));
    const Mat R = (qr.householderQ() * Mat::Identity(h, r)).transpose();  // r×h, orthonormal rows
    const Vec root = svd.singularValues().cwiseSqrt();
    W1 = svd.matrixU() * root.asDiagonal() * R;
    W2 = R.transpose() * root.asDiagonal() * svd.matrixV().transpose();
  } else {
    W1 = init_matrix(d, h, d, h, o.init, rng);
    W2 = init_matrix(h, k, h, k, o.init, rng);
  }
  ModelInstance inst;
  inst.theta0 = model->pack(W1, W2);
  inst.model = std::move(model);
  return inst;
}

}  // namespace

void ModelOptions::validate(const Dataset& data) const {
  if (kind != "relu2" && kind != "two_layer" && kind != "linear2" && kind != "scalar" && kind != "linear")
    bad("kind", "unknown kind '" + kind + "' (expected relu2, two_layer, linear2, scalar or linear)");
  if (width < 1) bad("width", "must be at least 1, got " + std::to_string(width));
  if (width > 10'000'000) bad("width", "is too large (" + std::to_string(width) + ")");
  if (activation != "relu" && activation != "tanh" && activation != "softplus")
    bad("activation", "must be relu, tanh or softplus, got '" + activation + "'");
  if (!(beta > 0)) bad("beta", "must be positive");
  if (scaling != "ntk" && scaling != "mean_field" && scaling != "none")
    bad("scaling", "must be ntk, mean_field or none, got '" + scaling + "'");
  const bool linear = kind == "linear2" || kind == "scalar";
  if (linear && (init.scheme == "balanced" || init.scheme == "imbalance")) {
    if (!(init.scale > 0)) bad("init_scale", "must be positive");
  } else if (!(kind == "linear" && init.scheme == "zeros")) {
    init.validate("model.init");
  }
  if (!std::isfinite(imbalance) || imbalance < 0) bad("imbalance", "must be a non-negative number");
  if (!std::isfinite(w1) || !std::isfinite(w2)) bad("w1", "the scalar model's w1 and w2 must be finite");
  if ((kind == "relu2" || kind == "two_layer") && data.k() != 1)
    bad("kind", kind + " has one output, but the data have " + std::to_string(data.k()) +
                    " target columns (use linear2, or data.target = \"label\")");
  if (kind == "scalar" && (data.n() != 1 || data.d() != 1 || data.k() != 1))
    bad("kind", "scalar needs data.kind = \"scalar\" (one sample, x = 1)");
}

ModelInstance make_model(const ModelOptions& o, const Dataset& data, Rng& rng) {
  o.validate(data);
  if (o.kind == "relu2" || o.kind == "two_layer") return make_two_layer(o, data, rng);
  if (o.kind == "linear") {
    // One layer, W ∈ R^{d×k}; init "zeros" starts at the origin (the quadratic of Su–Boyd–Candès).
    const Mat W = o.init.scheme == "zeros" ? Mat::Zero(data.d(), data.k())
                                           : init_matrix(data.d(), data.k(), data.d(), data.k(), o.init, rng);
    return {std::make_unique<Linear>(data.X, data.k()), Eigen::Map<const Vec>(W.data(), W.size())};
  }
  return make_linear2(o, data, rng);
}

}  // namespace gradflow
