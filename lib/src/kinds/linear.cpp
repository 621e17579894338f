// Model kinds of linear networks: linear (one layer, f = XW), linear2 (f = X W1 W2, Xu et al.)
// and scalar (w1·w2 on one sample, the smallest over-parameterisation).
#include <algorithm>
#include <cmath>

#include "gradflow/core/error.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/model/init.hpp"
#include "gradflow/model/linear.hpp"
#include "gradflow/model/linear2.hpp"
#include "gradflow/theory/xu.hpp"

namespace gradflow {
namespace {

InitOptions init_of(const Params& p) { return {p.text("init"), p.number("init_scale")}; }

const KeySpec linear_init_scale_key{"init_scale", KeyType::number, 1.0, "the initialiser's scale s"};

/// The least-squares minimum ½‖(I − X X⁺) Y‖², reached by both models (h ≥ min(d, k)).
void loss_star(const Problem& problem, nlohmann::json& j) {
  const Eigen::CompleteOrthogonalDecomposition<Mat> cod(problem.data().X);
  j["loss_star"] = 0.5 * (problem.data().Y - problem.data().X * cod.solve(problem.data().Y)).squaredNorm();
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
    .keys = {{"init", KeyType::text, std::string("normal"), "initialiser of W: normal, ntk, lecun, xavier, he, uniform or zeros"},
             linear_init_scale_key,
             {"product_width", KeyType::integer, 0L,
              "h > 0: start at W1(0) W2(0), W1 d x h and W2 h x k drawn as linear2's (the same draws for the same seed)"}},
    .validate =
        [](const Params& p, const Dataset&) {
          if (p.text("init") != "zeros") init_of(p).validate("model.init");
          const long h = p.integer("product_width");
          if (h < 0 || h > 10'000'000) throw input_error("model.product_width: must lie in [0, 10000000], got " + std::to_string(h));
          if (h > 0 && p.text("init") == "zeros") throw input_error("model.product_width: needs a random init, not zeros");
        },
    .build =
        [](const Params& p, const Dataset& data, Rng& rng) {
          // W ∈ R^{d×k}; init "zeros" starts at the origin (the quadratic of Su–Boyd–Candès).
          Mat W;
          if (const Index h = p.integer("product_width"); h > 0) {
            // linear2's draws in linear2's order, so the baseline starts where its product starts.
            const Mat W1 = init_matrix(data.d(), h, data.d(), h, init_of(p), rng);
            W = W1 * init_matrix(h, data.k(), h, data.k(), init_of(p), rng);
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
        [](const Params& p, const Dataset&) {
          const long width = p.integer("width");
          if (width < 1) throw input_error("model.width: must be at least 1, got " + std::to_string(width));
          if (width > 10'000'000) throw input_error("model.width: is too large (" + std::to_string(width) + ")");
          const std::string& init = p.text("init");
          if (init == "balanced" || init == "imbalance") {
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
            // Spectral init: W0 = U Σ Vᵀ ~ N(0, scale²), W1 = U Σ^½ R, W2 = Rᵀ Σ^½ Vᵀ with R orthonormal
            // rows, so W1ᵀW1 = W2W2ᵀ = RᵀΣR and D(0) = 0.
            const Mat W0 = rng.normal(d, k, init.scale);
            Eigen::JacobiSVD<Mat> svd(W0, Eigen::ComputeThinU | Eigen::ComputeThinV);
            const Index r = svd.singularValues().size();
            Eigen::HouseholderQR<Mat> qr(rng.normal(h, r));
            const Mat R = (qr.householderQ() * Mat::Identity(h, r)).transpose();  // r×h, orthonormal rows
            const Vec root = svd.singularValues().cwiseSqrt();
            W1 = svd.matrixU() * root.asDiagonal() * R;
            W2 = R.transpose() * root.asDiagonal() * svd.matrixV().transpose();
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
