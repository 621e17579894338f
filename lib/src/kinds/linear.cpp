// Model kinds of linear networks: linear (one layer, f = XW), linear2 (f = X W1 W2, Xu et al.),
// deep_linear (f = X W1 ⋯ WN, Arora et al.), overparam_scalar (f = X w1 w2 with a scalar w2,
// Arora et al.'s warm-up) and scalar (w1·w2 on one sample, the smallest over-parameterisation).
#include <algorithm>
#include <cmath>

#include "gradflow/core/error.hpp"
#include "gradflow/core/fit.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/model/deep_linear.hpp"
#include "gradflow/model/init.hpp"
#include "gradflow/model/linear.hpp"
#include "gradflow/model/linear2.hpp"
#include "gradflow/theory/xu.hpp"

namespace gradflow {
namespace {

InitOptions init_of(const Params& p) { return {p.text("init"), p.number("init_scale")}; }

const KeySpec linear_init_scale_key{"init_scale", KeyType::number, 1.0, "the initialiser's scale s"};

bool uses_epsilon(const Params& p) { return p.text("init") == "near_zero" || p.text("init") == "identity"; }

KeySpec epsilon_key() {
  return {"epsilon", KeyType::number, 0.01, "standard deviation of near_zero's entries and of identity's noise", {},
          uses_epsilon, "init = near_zero or identity"};
}

DeepLinearInit deep_init_of(const Params& p) {
  return {p.text("init"), p.number("init_scale"), p.has("epsilon") ? p.number("epsilon") : 0.0};
}

/// (d, h, …, h, k) for `depth` factors of width `width` (the keys of deep_linear; linear's product_*).
std::vector<Index> deep_widths(Index d, Index k, long depth, long width) {
  std::vector<Index> w{d};
  for (long j = 1; j < depth; ++j) w.push_back(width);
  w.push_back(k);
  return w;
}

std::vector<Index> product_widths(const Params& p, const Dataset& data) {
  return deep_widths(data.d(), data.k(), p.integer("product_depth"), p.integer("product_width"));
}

const std::string deep_init_doc =
    "initialiser: balanced (W ~ N(0, init_scale^2) split by its SVD, every balancedness residual 0), near_zero, "
    "identity (plus noise), normal, ntk, lecun, xavier, he or uniform";

/// min over W of L(XW): the least of every linear network whose product can be any d×k matrix
/// (h ≥ min(d, k)). Squared loss: (c/2)‖(I − X X⁺) Y‖². ℓp (convex in W): Newton's method
/// from the least-squares W, column by column, halving steps until the loss falls.
void loss_star(const Problem& problem, nlohmann::json& j) {
  const Mat& X = problem.data().X;
  const Mat& Y = problem.data().Y;
  const Objective& objective = problem.objective();
  const double c = objective.scale();
  const Eigen::CompleteOrthogonalDecomposition<Mat> cod(X);
  Mat W = cod.solve(Y);
  if (objective.loss().quadratic()) {
    j["loss_star"] = 0.5 * c * (Y - X * W).squaredNorm();
    return;
  }
  const double p = objective.loss().p;
  const auto column_loss = [&](const Vec& w, Index col) {
    return c / p * (X * w - Y.col(col)).array().abs().pow(p).sum();
  };
  double total = 0;
  for (Index col = 0; col < Y.cols(); ++col) {
    Vec w = W.col(col);
    double loss = column_loss(w, col);
    for (int it = 0; it < 200; ++it) {
      const Vec r = X * w - Y.col(col);
      const Vec g = c * X.transpose() * (r.array().sign() * r.array().abs().pow(p - 1)).matrix();
      const Vec curvature = c * (p - 1) * r.array().abs().pow(p - 2);
      Mat Hs = X.transpose() * curvature.asDiagonal() * X;
      Hs.diagonal().array() += 1e-14 * Hs.diagonal().maxCoeff();  // |r|^{p−2} vanishes where r does
      const Vec step = Hs.ldlt().solve(g);
      double t = 1.0, next = column_loss(w - step, col);
      while (next > loss && t > 1e-10) next = column_loss(w - (t /= 2) * step, col);
      if (!(next < loss)) break;
      const bool done = loss - next <= 1e-15 * loss;
      w -= t * step;
      loss = next;
      if (done) break;
    }
    total += loss;
  }
  j["loss_star"] = total;
}

/// Xu et al.'s quantities for linear2 (and scalar, its n = d = h = k = 1 case).
void xu_theory(const Problem& problem, nlohmann::json& j) {
  const auto& lin = dynamic_cast<const Linear2&>(problem.model());
  const Mat W1 = lin.W1(problem.theta0()), W2 = lin.W2(problem.theta0());
  try {
    const XuRate xu(problem.data().X, problem.data().Y, W1, W2);
    const XuInitial& in = xu.initial();
    j["sigma_min_X"] = in.sigma_min;
    j["sigma_max_X"] = in.sigma_max;
    j["kappa_X"] = in.kappa;
    j["rank_X"] = in.rank;
    j["xu_loss0"] = in.loss0;
    j["alpha0"] = in.alpha0;
    j["beta0"] = in.beta0;
    j["p1"] = in.p1;
    j["p2"] = in.p2;
    j["imbalance_lambda_max"] = in.imbalance_eigenvalues.size() ? in.imbalance_eigenvalues(0) : 0.0;
    j["imbalance_lambda_min"] =
        in.imbalance_eigenvalues.size() ? in.imbalance_eigenvalues(in.imbalance_eigenvalues.size() - 1) : 0.0;
    const RatePolynomial rho = xu.rho();
    j["a1"] = rho.a1;
    j["a2"] = rho.a2;
    j["a3"] = rho.a3;
    j["a4"] = rho.a4;
    j["eta_max_1"] = xu.eta_max_1();
    j["eta_max_2"] = xu.eta_max_2();
    j["eta_max"] = xu.eta_max();
    j["eta_star"] = xu.eta_star();
    j["xu_rate"] = xu.rate();  // f(η*, 0)
    j["xu_asymptotic_rate"] = xu.asymptotic_rate();
    j["xu_c1"] = xu.constants().c1;
    j["xu_c2"] = xu.constants().c2;
    // The step 2/(K β0 + μ α0) of gd_xu_spectral (xu2023_init), from the same initialisation.
    try {
      const XuSpectralStep sp = xu_spectral_step(problem.data().X, W1, W2);
      j["eta_spectral"] = sp.eta;
      j["tau_min0"] = sp.tau_min;
      j["tau_max0"] = sp.tau_max;
      j["spectral_contraction"] = sp.contraction;
    } catch (const input_error&) {  // needs N >= n; the theorem's numbers do not
    }
    for (const auto& m : problem.experiment().methods)
      // A kind with its own theory numbers (gd_xu_spectral) records its step itself.
      if (m.descriptor().discrete() && !m.descriptor().theory) {
        // Methods whose step is the theorem's take η*; the adaptive η*_t has
        // f(η*_t, t) ≤ f(η*, t) ≤ f(η*, 0), so f(η*, 0) bounds both.
        const double eta = m.descriptor().step_from_theory ? xu.eta_star() : m.eta();
        j["methods"][m.name]["eta"] = eta;
        j["methods"][m.name]["f_eta_0"] = rho(eta);
        j["methods"][m.name]["eta_within_eta_max"] = eta <= xu.eta_max();
      }
  } catch (const input_error& ex) {
    j["xu_note"] = ex.what();
  }
}

/// Xu et al. eq. (21), the non-over-parameterised GD: ρ(η) = 1 − 2ημ + Kμη², least at η = 1/K.
void one_layer_theory(const Problem& problem, nlohmann::json& j) {
  const Mat& X = problem.data().X;
  const Eigen::SelfAdjointEigenSolver<Mat> es(X.transpose() * X, Eigen::EigenvaluesOnly);
  const double K = es.eigenvalues().maxCoeff(), mu = es.eigenvalues().minCoeff();
  j["sigma_min_X"] = std::sqrt(std::max(mu, 0.0));
  j["sigma_max_X"] = std::sqrt(K);
  j["kappa_X"] = K / mu;
  j["eta_star"] = 1.0 / K;
  j["xu_rate"] = 1.0 - mu / K;
  j["eta_spectral"] = 2.0 / (K + mu);  // gd_xu_spectral's step (τ = identity)
}

const Registration<ModelKind> linear{{
    .name = "linear",
    .summary = "one layer, f = XW: the non-over-parameterised baseline; with init = zeros, a quadratic",
    .keys = {{"init", KeyType::text, std::string("normal"),
              "initialiser of W: normal, ntk, lecun, xavier, he, uniform or zeros; with product_width, " + deep_init_doc},
             linear_init_scale_key,
             {"product_width", KeyType::integer, 0L,
              "h > 0: start at the product W1(0) ... WN(0) of a deep_linear (N = product_depth, width h, the same init keys) "
              "or linear2 (N = 2) initialisation: the same draws for the same seed"},
             {"product_depth", KeyType::integer, 2L, "N >= 2, the number of factors of that product", {},
              [](const Params& p) { return p.integer("product_width") > 0; }, "product_width > 0"},
             epsilon_key()},
    .validate =
        [](const Params& p, const Dataset& data) {
          const long h = p.integer("product_width");
          if (h < 0 || h > 10'000'000) throw input_error("model.product_width: must lie in [0, 10000000], got " + std::to_string(h));
          if (h > 0 && p.text("init") == "zeros") throw input_error("model.product_width: needs a random init, not zeros");
          if (h > 0) {
            const long N = p.integer("product_depth");
            if (N < 2 || N > 1000) throw input_error("model.product_depth: must lie in [2, 1000], got " + std::to_string(N));
            deep_init_of(p).validate("model.init", product_widths(p, data));
          } else if (p.text("init") != "zeros") {
            init_of(p).validate("model.init");
          }
        },
    .build =
        [](const Params& p, const Dataset& data, Rng& rng) {
          // W ∈ R^{d×k}; init "zeros" starts at the origin (the quadratic of Su–Boyd–Candès).
          Mat W;
          if (p.integer("product_width") > 0) {
            // The deep net's draws in its order, so the end-to-end dynamics start where its product starts.
            const std::vector<Mat> factors = draw_deep_linear(product_widths(p, data), deep_init_of(p), rng);
            W = factors.front();
            for (std::size_t j = 1; j < factors.size(); ++j) W = W * factors[j];
          } else {
            W = p.text("init") == "zeros" ? Mat::Zero(data.d(), data.k())
                                          : init_matrix(data.d(), data.k(), data.d(), data.k(), init_of(p), rng);
          }
          return ModelInstance{std::make_unique<Linear>(data.X, data.k()), Eigen::Map<const Vec>(W.data(), W.size())};
        },
    .memory =
        [](const Params&, Index, Index d, Index k) {
          // θ = W (d×k) and the integrators' copies of it; the outputs are only n×k.
          return std::vector<MemoryTerm>{{"data.d", "the state (d*k parameters)", 8.0 * 24.0 * double(d) * double(k)}};
        },
    .theory =
        [](const Problem& problem, const Params&, double, nlohmann::json& j) {
          loss_star(problem, j);
          one_layer_theory(problem, j);
        },
}};

const Registration<ModelKind> linear2{{
    .name = "linear2",
    .summary = "two-layer linear network f = X W1 W2 (Xu et al.)",
    .keys = {{"width", KeyType::integer, 1000L, "hidden width h"},
             {"init", KeyType::text, std::string("normal"),
              "initialiser: normal, ntk, lecun, xavier, he, uniform, balanced (spectral, D(0) = 0) or imbalance (Xu et al.)"},
             linear_init_scale_key,
             {"imbalance", KeyType::number, 1.0, "Xu et al.'s sigma", {},
              [](const Params& p) { return p.text("init") == "imbalance"; }, "init = imbalance"}},
    .validate =
        [](const Params& p, const Dataset& data) {
          const long width = p.integer("width");
          if (width < 1) throw input_error("model.width: must be at least 1, got " + std::to_string(width));
          if (width > 10'000'000) throw input_error("model.width: is too large (" + std::to_string(width) + ")");
          const std::string& init = p.text("init");
          if (init == "balanced") {
            DeepLinearInit{"balanced", p.number("init_scale")}.validate("model.init", {data.d(), width, data.k()});
          } else if (init == "imbalance") {
            if (!(p.number("init_scale") > 0)) throw input_error("model.init_scale: must be positive");
          } else {
            init_of(p).validate("model.init");
          }
          if (p.has("imbalance") && (!std::isfinite(p.number("imbalance")) || p.number("imbalance") < 0))
            throw input_error("model.imbalance: must be a non-negative number");
        },
    .build =
        [](const Params& p, const Dataset& data, Rng& rng) {
          const Index d = data.d(), h = p.integer("width"), k = data.k();
          auto model = std::make_unique<Linear2>(data.X, h, k, "linear2");
          const InitOptions init = init_of(p);
          Mat W1, W2;
          if (init.scheme == "imbalance") {
            // Xu et al.: W1 = s U0, W2 = V0/s with s² = (σ + √(σ² + 4))/2, so E[D] ∝ σ I.
            const double sigma = p.number("imbalance");
            const double s = std::sqrt((sigma + std::sqrt(sigma * sigma + 4.0)) / 2.0);
            W1 = s * rng.normal(d, h);
            W2 = rng.normal(h, k) / s;
          } else if (init.scheme == "balanced") {
            // Spectral init: W0 = U Σ Vᵀ ~ N(0, scale²), W1 = U Σ^½ Qᵀ, W2 = Q Σ^½ Vᵀ, so D(0) = 0.
            const std::vector<Mat> factors = draw_deep_linear({d, h, k}, DeepLinearInit{"balanced", init.scale}, rng);
            W1 = factors[0];
            W2 = factors[1];
          } else {
            W1 = init_matrix(d, h, d, h, init, rng);
            W2 = init_matrix(h, k, h, k, init, rng);
          }
          ModelInstance inst;
          inst.theta0 = model->pack(W1, W2);
          inst.model = std::move(model);
          return inst;
        },
    .memory =
        [](const Params& p, Index n, Index d, Index k) {
          const double h = static_cast<double>(std::max<long>(p.integer("width"), 1));
          const double P = h * (static_cast<double>(d) + static_cast<double>(k));
          // θ = (W1, W2) with the integrators' copies, and the n×h products X W1 of the gradient.
          return std::vector<MemoryTerm>{
              {h >= static_cast<double>(d) ? "model.width" : "data.d", "the state (h*(d+k) parameters)", 8.0 * 24.0 * P},
              {"model.width", "X W1 and its products (n x h)", 8.0 * 3.0 * static_cast<double>(n) * h}};
        },
    .theory =
        [](const Problem& problem, const Params&, double, nlohmann::json& j) {
          loss_star(problem, j);
          xu_theory(problem, j);
        },
    .describe =
        [](const nlohmann::json& model) {
          return model.contains("width") ? "h=" + std::to_string(model["width"].get<long>()) : std::string();
        },
}};

const Registration<ModelKind> deep_linear{{
    .name = "deep_linear",
    .summary = "deep linear network f = X W1 W2 ... WN (Arora et al.): N factors of hidden width h",
    .keys = {{"depth", KeyType::integer, 3L, "N >= 2, the number of factors"},
             {"width", KeyType::integer, 11L, "hidden width h of every factor (Arora et al.: 11 is enough)"},
             {"init", KeyType::text, std::string("balanced"), deep_init_doc,
              {"balanced", "near_zero", "identity", "normal", "ntk", "lecun", "xavier", "he", "uniform"}},
             linear_init_scale_key,
             epsilon_key()},
    .validate =
        [](const Params& p, const Dataset& data) {
          const long N = p.integer("depth"), h = p.integer("width");
          if (N < 2 || N > 1000) throw input_error("model.depth: must lie in [2, 1000], got " + std::to_string(N));
          if (h < 1 || h > 1'000'000) throw input_error("model.width: must lie in [1, 1000000], got " + std::to_string(h));
          deep_init_of(p).validate("model.init", deep_widths(data.d(), data.k(), N, h));
        },
    .build =
        [](const Params& p, const Dataset& data, Rng& rng) {
          const std::vector<Index> widths = deep_widths(data.d(), data.k(), p.integer("depth"), p.integer("width"));
          auto model = std::make_unique<DeepLinear>(data.X, std::vector<Index>(widths.begin() + 1, widths.end() - 1), data.k());
          ModelInstance inst;
          inst.theta0 = model->pack(draw_deep_linear(widths, deep_init_of(p), rng));
          inst.model = std::move(model);
          return inst;
        },
    .memory =
        [](const Params& p, Index n, Index d, Index k) {
          const double N = static_cast<double>(std::max<long>(p.integer("depth"), 2));
          const double h = static_cast<double>(std::max<long>(p.integer("width"), 1));
          const double P = h * (static_cast<double>(d) + static_cast<double>(k)) + (N - 2) * h * h;
          return std::vector<MemoryTerm>{
              {"model.width", "the state (h(d+k) + (N-2)h^2 parameters)", 8.0 * 24.0 * P},
              {"model.width", "the forward pass X W1 ... (n x h)", 8.0 * 3.0 * static_cast<double>(n) * h}};
        },
    .theory = [](const Problem& problem, const Params&, double, nlohmann::json& j) { loss_star(problem, j); },
    .describe =
        [](const nlohmann::json& model) {
          std::string s;
          if (model.contains("depth")) s += "N=" + std::to_string(model["depth"].get<long>());
          if (model.contains("width")) s += (s.empty() ? "" : ", ") + std::string("h=") + std::to_string(model["width"].get<long>());
          return s;
        },
}};

/// Arora et al.'s warm-up: one GD step on (w1, w2) against w ← w − ρ∇L(w) − γw with ρ = η w2²,
/// γ = η w2⁻¹ ∂L/∂w2 at θ0, for a range of η; the gap is O(η²), and its fitted order is recorded.
void warmup_theory(const Problem& problem, nlohmann::json& j) {
  const auto& model = dynamic_cast<const DeepLinear&>(problem.model());
  const Objective& objective = problem.objective();
  const Vec& theta0 = problem.theta0();
  const double w2 = theta0(theta0.size() - 1);
  Vec g;
  objective.value_gradient(theta0, g);
  const Index d = model.d();
  const Vec w = theta0.head(d) * w2;
  const Vec grad_w = g.head(d) / w2;  // ∂L/∂w1 = w2 ∇L(w), so ∇L(w) = ∂L/∂w1 / w2
  const double grad_w2 = g(d);
  std::vector<std::pair<double, double>> points;
  nlohmann::json rows = nlohmann::json::array();
  for (double eta = 1e-1; eta > 1e-5; eta /= 4) {
    const Vec step = theta0 - eta * g;
    const Vec deep = step.head(d) * step(d);
    const Vec emulated = w - eta * w2 * w2 * grad_w - eta * grad_w2 / w2 * w;
    const double gap = (deep - emulated).norm();
    rows.push_back({{"eta", eta}, {"gap", gap}});
    if (gap > 0) points.emplace_back(std::log(eta), std::log(gap));
  }
  j["warmup_gaps"] = rows;
  j["warmup_gap_order"] = points.size() >= 2 ? fit_line(points).slope : std::nan("");
}

const Registration<ModelKind> overparam_scalar{{
    .name = "overparam_scalar",
    .summary = "f = X w1 w2, w1 in R^d times a scalar w2: Arora et al.'s warm-up (one output)",
    .keys = {{"init", KeyType::text, std::string("normal"), "initialiser of w1: normal, ntk, lecun, xavier, he or uniform"},
             {"init_scale", KeyType::number, 0.1, "the initialiser's scale for w1 (normal: its standard deviation)"},
             {"w2", KeyType::number, 0.5, "initial w2 (nonzero: the warm-up divides by it)"}},
    .validate =
        [](const Params& p, const Dataset& data) {
          init_of(p).validate("model.init");
          if (!(p.number("w2") != 0) || !std::isfinite(p.number("w2")))
            throw input_error("model.w2: must be a finite nonzero number");
          if (data.k() != 1)
            throw input_error("model.kind: overparam_scalar has one output, but the data have " + std::to_string(data.k()) +
                              " target columns");
        },
    .build =
        [](const Params& p, const Dataset& data, Rng& rng) {
          auto model = std::make_unique<DeepLinear>(data.X, std::vector<Index>{1}, 1, "overparam_scalar");
          ModelInstance inst;
          inst.theta0 = model->pack({init_matrix(data.d(), 1, data.d(), 1, init_of(p), rng), Mat::Constant(1, 1, p.number("w2"))});
          inst.model = std::move(model);
          return inst;
        },
    .theory =
        [](const Problem& problem, const Params&, double, nlohmann::json& j) {
          loss_star(problem, j);
          warmup_theory(problem, j);
        },
}};

const Registration<ModelKind> scalar{{
    .name = "scalar",
    .summary = "w1 w2 on one sample x = 1: the smallest over-parameterisation (needs data.kind = scalar)",
    .keys = {{"w1", KeyType::number, 0.5, "initial w1"}, {"w2", KeyType::number, 0.5, "initial w2"}},
    .validate =
        [](const Params& p, const Dataset& data) {
          if (!std::isfinite(p.number("w1")) || !std::isfinite(p.number("w2")))
            throw input_error("model.w1: the scalar model's w1 and w2 must be finite");
          if (data.n() != 1 || data.d() != 1 || data.k() != 1)
            throw input_error("model.kind: scalar needs data.kind = \"scalar\" (one sample, x = 1)");
        },
    .build =
        [](const Params& p, const Dataset& data, Rng&) {
          auto model = std::make_unique<Linear2>(data.X, 1, data.k(), "scalar");
          ModelInstance inst;
          inst.theta0 = model->pack(Mat::Constant(1, 1, p.number("w1")), Mat::Constant(1, 1, p.number("w2")));
          inst.model = std::move(model);
          return inst;
        },
    .theory =
        [](const Problem& problem, const Params&, double, nlohmann::json& j) {
          j["width"] = 1;
          xu_theory(problem, j);
        },
}};

}  // namespace
}  // namespace gradflow
