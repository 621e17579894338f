// Model kinds relu2 (Du et al.: hidden layer trained, a_r = ±1 fixed, 1/√m) and two_layer
// (both layers trained), on the TwoLayer network.
#include <algorithm>
#include <cmath>

#include "gradflow/experiment/run_report.hpp"
#include "gradflow/core/error.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/model/init.hpp"
#include "gradflow/model/two_layer.hpp"
#include "gradflow/observe/sample.hpp"
#include "gradflow/theory/kernels.hpp"

namespace gradflow {
namespace {


double largest_eigenvalue(const Mat& H) {
  Eigen::SelfAdjointEigenSolver<Mat> es(H, Eigen::EigenvaluesOnly);
  return es.eigenvalues().maxCoeff();
}

const KeySpec width_key{"width", KeyType::integer, 1000L, "hidden width m"};
const KeySpec init_key{"init", KeyType::text, std::string("normal"),
                       "hidden-layer initialiser: normal, ntk, lecun, xavier, he or uniform (docs/experiment.md)"};
const KeySpec init_scale_key{"init_scale", KeyType::number, 1.0, "the initialiser's scale s"};

InitOptions hidden_init(const Params& p) { return {p.text("init"), p.number("init_scale")}; }

void validate_two_layer(const Params& p, const Dataset& data, const std::string& kind) {
  const long width = p.integer("width");
  if (width < 1) throw input_error("model.width: must be at least 1, got " + std::to_string(width));
  if (width > 10'000'000) throw input_error("model.width: is too large (" + std::to_string(width) + ")");
  if (p.has("beta") && !(p.number("beta") > 0)) throw input_error("model.beta: must be positive");
  hidden_init(p).validate("model.init");
  if (data.k() != 1)
    throw input_error("model.kind: " + kind + " has one output, but the data have " + std::to_string(data.k()) +
                      " target columns (use linear2, or data.target = \"label\")");
}

ModelInstance build_two_layer(const Params& p, const Dataset& data, Rng& rng, bool relu2) {
  TwoLayerOptions t;
  t.width = p.integer("width");
  const std::string activation = relu2 ? "relu" : p.text("activation");
  t.activation = activation == "relu" ? Activation::relu : activation == "tanh" ? Activation::tanh : Activation::softplus;
  if (p.has("beta")) t.beta = p.number("beta");
  const double m = static_cast<double>(t.width);
  const std::string scaling = relu2 ? "ntk" : p.text("scaling");
  t.scale = scaling == "ntk" ? 1.0 / std::sqrt(m) : scaling == "mean_field" ? 1.0 / m : 1.0;
  t.train_outer = !relu2;
  const Mat W = init_matrix(t.width, data.d(), data.d(), t.width, hidden_init(p), rng);
  const double outer_scale = relu2 ? 0.0 : p.number("outer_scale");
  Vec a(t.width);
  for (Index r = 0; r < t.width; ++r) a(r) = relu2 ? rng.sign() : outer_scale * rng.normal();
  ModelInstance inst;
  if (relu2) {
    inst.model = std::make_unique<TwoLayer>(data.X, t, a);
    inst.theta0 = Eigen::Map<const Vec>(W.data(), W.size());
  } else {
    inst.model = std::make_unique<TwoLayer>(data.X, t);
    inst.theta0.resize(W.size() + t.width);
    inst.theta0 << Eigen::Map<const Vec>(W.data(), W.size()), a;
  }
  return inst;
}

/// Bytes of the state θ (or [θ; v]) times the copies an integrator holds: dopri5's seven
/// stages, the error estimate, the dense-output and switching copies, the samples observed.
constexpr double state_copies = 24.0;

std::vector<MemoryTerm> two_layer_memory(const Params& p, Index n, Index d, bool relu2) {
  const double m = static_cast<double>(std::max<long>(p.integer("width"), 1));
  const double P = m * static_cast<double>(d) + (relu2 ? 0.0 : m);
  const std::string state_key = m >= static_cast<double>(d) ? "model.width" : "data.d";
  // Z = XWᵀ, σ(Z), σ'(Z) and the fused kernel's scratch: about four n×m matrices at once.
  return {{state_key, "the state (m*d parameters)", 8.0 * P * state_copies},
          {"model.width", "Z and its activations (n x m)", 8.0 * 4.0 * static_cast<double>(n) * m}};
}

std::string width_words(const nlohmann::json& model) {
  return model.contains("width") ? "m=" + std::to_string(model["width"].get<long>()) : "";
}

const Registration<ModelKind> relu2{{
    .name = "relu2",
    .summary = "Du et al.: f = (1/sqrt(m)) sum_r a_r relu(w_r'x), hidden layer trained, a_r = +-1 fixed",
    .keys = {width_key, init_key, init_scale_key},
    .validate = [](const Params& p, const Dataset& data) { validate_two_layer(p, data, "relu2"); },
    .build = [](const Params& p, const Dataset& data, Rng& rng) { return build_two_layer(p, data, rng, true); },
    .memory = [](const Params& p, Index n, Index d, Index) { return two_layer_memory(p, n, d, true); },
    .infinite_kernel = [](const Params&, const Dataset& data) { return relu_ntk_infinite(data.X); },
    .theory =
        [](const Problem& problem, const Params& p, double delta, nlohmann::json& j) {
          const Mat& Hinf = *problem.H_inf();
          const double n = static_cast<double>(problem.data().n()), lambda0 = problem.lambda0();
          j["H_inf_lambda_max"] = largest_eigenvalue(Hinf);
          j["H_inf_diag_mean"] = Hinf.diagonal().mean();
          // Du et al. (seed 003, "N ≳ m⁶/(λ⁴δ³)" in the slide's names: width N, samples m) and
          // Bu et al. (seed 000, HBF): m = Ω(n⁶/(δ³λ0⁴)).
          const double du = std::pow(n, 6) / (std::pow(lambda0, 4) * std::pow(delta, 3));
          j["width_required_du"] = finite_or_null(du);
          j["width_required_bu_hbf"] = finite_or_null(du);
          j["width_ratio_du"] = finite_or_null(static_cast<double>(p.integer("width")) / du);
        },
    .describe = width_words,
}};

const Registration<ModelKind> two_layer{{
    .name = "two_layer",
    .summary = "f = s sum_k a_k sigma(w_k'x), both layers trained",
    .keys = {width_key,
             {"activation", KeyType::text, std::string("relu"), "relu, tanh or softplus", {"relu", "tanh", "softplus"}},
             {"beta", KeyType::number, 1.0, "softplus sharpness beta", {},
              [](const Params& p) { return p.text("activation") == "softplus"; }, "activation = softplus"},
             {"scaling", KeyType::text, std::string("ntk"), "s = 1/sqrt(m) (ntk), 1/m (mean_field) or 1 (none)",
              {"ntk", "mean_field", "none"}},
             {"outer_scale", KeyType::number, 1.0, "a_k ~ N(0, outer_scale^2)"},
             init_key,
             init_scale_key},
    .validate = [](const Params& p, const Dataset& data) { validate_two_layer(p, data, "two_layer"); },
    .build = [](const Params& p, const Dataset& data, Rng& rng) { return build_two_layer(p, data, rng, false); },
    .memory = [](const Params& p, Index n, Index d, Index) { return two_layer_memory(p, n, d, false); },
    .theory =
        [](const Problem& problem, const Params& p, double, nlohmann::json& j) {
          if (p.text("activation") != "relu" || p.text("scaling") != "ntk") return;
          const std::string init = p.text("init");
          if (init != "normal" && init != "ntk") {
            j["lambda_S_note"] = "K^(a) needs Gaussian hidden weights (model.init = normal or ntk)";
            return;
          }
          const Mat& X = problem.data().X;
          const double outer = p.number("outer_scale");
          const Mat Ka = relu_kernel_outer(X, p.number("init_scale"));
          const Mat Kw = relu_kernel_inner(X, outer * outer);
          j["K_a_lambda_min"] = finite_or_null(lambda_min(Ka));
          j["K_w_lambda_min"] = finite_or_null(lambda_min(Kw));
          j["lambda_S"] = finite_or_null(lambda_min(Ka + Kw));
          j["K_lambda_max"] = finite_or_null(largest_eigenvalue(Ka + Kw));
          j["yang_rate"] = finite_or_null(problem.c() * lambda_min(Ka + Kw));  // R_S(t) ≤ exp(−c λ_S t) R_S(0), unnormalised K
        },
    .describe =
        [](const nlohmann::json& model) {
          const std::string act = model.contains("activation") ? model["activation"].get<std::string>() : "";
          const std::string w = width_words(model);
          return act + (act.empty() || w.empty() ? "" : ", ") + w;
        },
}};

}  // namespace
}  // namespace gradflow
