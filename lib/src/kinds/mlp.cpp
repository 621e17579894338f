// Model kind mlp: the L-layer fully connected network of seed 003 (W_L ∘ ϱ ∘ … ∘ ϱ ∘ W_1).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/experiment/run_report.hpp"
#include "gradflow/model/mlp.hpp"

namespace gradflow {
namespace {

/// A comma-separated list of positive integers ("512, 256"); throws naming `key`.
std::vector<Index> positive_integer_list(const std::string& text, const std::string& key) {
  std::vector<Index> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    long value = 0;
    try {
      value = std::stol(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    while (used < item.size() && item[used] == ' ') ++used;
    if (used == 0 || used != item.size() || value < 1)
      throw input_error(key + ": expected a comma-separated list of positive integers, got \"" + text + "\"");
    out.push_back(value);
  }
  return out;
}

std::vector<Index> mlp_hidden_widths(const Params& p) {
  const long depth = p.integer("depth");
  if (!p.text("widths").empty()) return positive_integer_list(p.text("widths"), "model.widths");
  return std::vector<Index>(depth > 1 ? depth - 1 : 0, p.integer("width"));
}

MlpOptions mlp_options_of(const Params& p) {
  MlpOptions o;
  o.hidden = mlp_hidden_widths(p);
  o.activation = activation_from_name(p.text("activation"));
  if (p.has("beta")) o.beta = p.number("beta");
  const std::string& param = p.text("parametrisation");
  o.parametrisation = param == "standard"     ? Parametrisation::standard
                      : param == "mean_field" ? Parametrisation::mean_field
                                              : Parametrisation::ntk;
  o.normalise = p.flag("normalise");
  o.bias = p.flag("bias");
  const Index L = static_cast<Index>(o.hidden.size()) + 1;
  if (p.text("train") == "all") {
    o.trained.assign(L, true);
  } else {
    o.trained.assign(L, false);
    for (const Index l : positive_integer_list(p.text("train"), "model.train")) {
      if (l > L)
        throw input_error("model.train: layer " + std::to_string(l) + " does not exist (the net has " +
                          std::to_string(L) + " layers)");
      o.trained[l - 1] = true;
    }
  }
  return o;
}

void validate_mlp(const Params& p, const Dataset&) {
  const long depth = p.integer("depth");
  if (depth < 2 || depth > 64) throw input_error("model.depth: must be between 2 and 64, got " + std::to_string(depth));
  const long width = p.integer("width");
  if (width < 1 || width > 1'000'000) throw input_error("model.width: must be between 1 and 1e6, got " + std::to_string(width));
  const auto hidden = mlp_hidden_widths(p);
  if (static_cast<long>(hidden.size()) != depth - 1)
    throw input_error("model.widths: lists " + std::to_string(hidden.size()) + " hidden widths, but model.depth = " +
                      std::to_string(depth) + " needs " + std::to_string(depth - 1));
  for (const Index h : hidden)
    if (h > 1'000'000) throw input_error("model.widths: a width of " + std::to_string(h) + " is too large");
  if (p.has("beta") && !(p.number("beta") > 0)) throw input_error("model.beta: must be positive");
  if (!(p.number("init_scale") > 0) || !std::isfinite(p.number("init_scale")))
    throw input_error("model.init_scale: must be positive and finite");
  const MlpOptions o = mlp_options_of(p);
  if (std::none_of(o.trained.begin(), o.trained.end(), [](bool t) { return t; }))
    throw input_error("model.train: no layer is trained");
}

ModelInstance build_mlp(const Params& p, const Dataset& data, Rng& rng) {
  const MlpOptions o = mlp_options_of(p);
  auto layers = draw_mlp(data.d(), data.k(), o, p.number("init_scale"), rng);
  auto model = std::make_unique<Mlp>(data.X, data.k(), o, std::move(layers));
  ModelInstance inst;
  inst.theta0 = model->theta0();
  inst.model = std::move(model);
  return inst;
}

/// The θ copies an integrator holds (as two_layer's estimate).
constexpr double mlp_state_copies = 24.0;

std::vector<MemoryTerm> mlp_memory(const Params& p, Index n, Index d, Index k) {
  MlpOptions o;
  try {
    o = mlp_options_of(p);
  } catch (const input_error&) {
    return {};  // validate names the key
  }
  const auto shapes = mlp_layer_shapes(d, k, o);
  double P = 0, units = 0;
  for (std::size_t l = 0; l < shapes.size(); ++l) {
    if (o.trained[l]) P += static_cast<double>(shapes[l].first * shapes[l].second);
    if (l + 1 < shapes.size()) units += static_cast<double>(shapes[l].first);
  }
  // A forward pass keeps Z, σ(Z) and σ'(Z) of every hidden layer; the backward pass one more.
  return {{"model.width", "the state (the trained weights)", 8.0 * P * mlp_state_copies},
          {"model.width", "the activations (n x hidden units)", 8.0 * 4.0 * static_cast<double>(n) * units}};
}

const Registration<ModelKind> mlp{{
    .name = "mlp",
    .summary = "L-layer fully connected net W_L o s o ... o s o W_1 (seed 003), any trained layers",
    .keys = {{"depth", KeyType::integer, 3L, "number of weight layers L (L - 1 hidden layers)"},
             {"width", KeyType::integer, 256L, "width of every hidden layer"},
             {"widths", KeyType::text, std::string(""),
              "hidden widths h_1, ..., h_{L-1} as \"512, 256\" (overrides width; depth - 1 entries)"},
             {"activation", KeyType::text, std::string("relu"), "relu, tanh, softplus or identity",
              {"relu", "tanh", "softplus", "identity"}},
             {"beta", KeyType::number, 1.0, "softplus sharpness beta", {},
              [](const Params& p) { return p.text("activation") == "softplus"; }, "activation = softplus"},
             {"parametrisation", KeyType::text, std::string("ntk"),
              "ntk (s_l = 1/sqrt(fan_in), N(0,1) weights), standard (s_l = 1, N(0, 1/fan_in) weights) or "
              "mean_field (ntk with the output's 1/sqrt(fan_in) replaced by 1/fan_in)",
              {"ntk", "standard", "mean_field"}},
             {"normalise", KeyType::boolean, true,
              "layers fed by activations carry sqrt(c_sigma), c_sigma = 1/E sigma(g)^2, g ~ N(0,1) (Du et al.; relu: 2)"},
             {"bias", KeyType::boolean, false, "bias by input augmentation: x -> (x, 1) at every layer (seed 003)"},
             {"train", KeyType::text, std::string("all"), "the trained layers: all, or a list such as \"2, 3\""},
             {"init_scale", KeyType::number, 1.0, "weights N(0, init_scale^2) before the parametrisation's 1/sqrt(fan_in)"}},
    .validate = validate_mlp,
    .build = build_mlp,
    .memory = mlp_memory,
    // H∞ exists for the ntk parametrisation only (standard's NTK grows with the width, mean field's vanishes).
    .infinite_kernel =
        [](const Params& p, const Dataset& data) {
          if (p.text("parametrisation") != "ntk") return Mat();
          return mlp_ntk_infinite(data.X, data.k(), mlp_options_of(p), p.number("init_scale"));
        },
    .theory =
        [](const Problem& problem, const Params& p, double, nlohmann::json& j) {
          const MlpOptions o = mlp_options_of(p);
          j["c_sigma"] = mlp_c_sigma(o);
          if (const auto& Hinf = problem.H_inf()) {
            Eigen::SelfAdjointEigenSolver<Mat> es(*Hinf, Eigen::EigenvaluesOnly);
            j["H_inf_lambda_max"] = es.eigenvalues().maxCoeff();
            j["H_inf_diag_mean"] = Hinf->diagonal().mean();
            // How far the finite net's kernel is from its limit (Du et al.: H(0) → H∞ as m → ∞).
            if (const auto& H0 = problem.H0()) j["H0_relative_error"] = (*H0 - *Hinf).norm() / Hinf->norm();
          }
        },
    .describe =
        [](const nlohmann::json& model) {
          std::string words = model.contains("activation") ? model["activation"].get<std::string>() : "";
          if (model.contains("depth")) words += ", L=" + std::to_string(model["depth"].get<long>());
          if (model.contains("widths") && !model["widths"].get<std::string>().empty())
            words += ", widths " + model["widths"].get<std::string>();
          else if (model.contains("width"))
            words += ", m=" + std::to_string(model["width"].get<long>());
          return words;
        },
}};

}  // namespace
}  // namespace gradflow
