// Adaptive optimisers and their flows (docs/theory.md, "Adaptive optimisers"): each method's
// first steps against numbers worked out by hand from its update rule, the AdaGrad flow
// against its closed form on a 1-D quadratic, and each method against its flow at the
// documented time map with a fitted order in η.
#include <boost/test/unit_test.hpp>

#include "gradflow/discrete/adaptive.hpp"
#include "support.hpp"

using namespace gradflow;
using namespace gradflow::test;

namespace {

/// L = ½(θ₁² + 4θ₂²): f = diag(1, 2)θ against y = 0, so g = (θ₁, 4θ₂).
struct AdaptiveQuadratic {
  LeastSquares model{(Mat(2, 2) << 1, 0, 0, 2).finished()};
  Objective objective{model, Mat::Zero(2, 1), Reduction::sum};
};

/// L = ½θ²: g = θ.
struct AdaptiveScalar {
  LeastSquares model{Mat::Ones(1, 1)};
  Objective objective{model, Mat::Zero(1, 1), Reduction::sum};
};

Vec adaptive_vec(std::initializer_list<double> xs) {
  Vec v(static_cast<Index>(xs.size()));
  Index i = 0;
  for (const double x : xs) v(i++) = x;
  return v;
}

/// A small smooth problem with one method of `kind`; `extra` adds the method's keys.
Experiment adaptive_experiment(const std::string& kind, const std::string& extra) {
  Config c = Config::parse(R"(
seed = 5
[data]
kind = "sphere"
n = 6
d = 3
[model]
kind = "two_layer"
width = 8
activation = "tanh"
[run]
t_end = 1.0
[[methods]]
kind = ")" + kind + "\"\n" + extra,
                           "adaptive test");
  return parse_experiment(c);
}

/// θ at the end of the run of `spec` on `problem`, sampled at {0, horizon}.
Vec adaptive_final_theta(const Problem& problem, const MethodSpec& spec, double horizon) {
  Vec last;
  MethodContext ctx(problem, spec, {0.0, horizon}, [&](const StateView& v) {
    last = *v.theta;
    return true;
  });
  const MethodRun run = spec.descriptor().prepare(ctx);
  run(ctx);
  BOOST_REQUIRE(ctx.outcome.status == Status::completed);
  return last;
}

/// |θ_discrete(T) − θ_flow(T)| for each η, with the flow given the discrete method's keys
/// (as `compare` does); returns the fitted slope against η.
double adaptive_order(const std::string& kind, const std::string& extra, const std::vector<double>& etas,
                      double horizon) {
  const Experiment e = adaptive_experiment(kind, extra);
  const Problem problem(e);
  std::vector<double> errors;
  double travel = 0;
  for (const double eta : etas) {
    MethodSpec discrete = e.methods.front();
    discrete.params.set("eta", eta);
    MethodSpec flow = discrete;
    flow.kind = flow.name = kind + "_flow";
    flow.integrate.rtol = 1e-11;
    flow.integrate.atol = 1e-13;
    flow.integrate.max_steps = 5'000'000;
    const Vec a = adaptive_final_theta(problem, discrete, horizon), b = adaptive_final_theta(problem, flow, horizon);
    errors.push_back((a - b).norm());
    travel = (b - problem.theta0()).norm();
  }
  const double order = loglog_slope(etas, errors);
  BOOST_TEST_MESSAGE(kind << " vs " << kind << "_flow at t = " << horizon << ": |dtheta| " << errors.front() << " ... "
                          << errors.back() << ", fitted order " << order);
  // The flow moved θ much further than it misses the iterates by, even at the largest η.
  BOOST_TEST(errors.front() < 0.2 * travel);
  BOOST_TEST(errors.back() > 0);
  return order;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(adaptive)

BOOST_AUTO_TEST_CASE(adagrad_first_steps_by_hand) {
  const AdaptiveQuadratic q;
  Vec s = adaptive_state(adaptive_vec({1.0, 0.5}), 1);
  const Step step = adagrad(q.objective, 0.5, 0.44);
  // k = 0: g = (1, 2), G = (1, 4), θ = (1 − 0.5/√1.44, 0.5 − 0.5·2/√4.44).
  step(0, s);
  const double a1 = 1.0 - 0.5 / 1.2, b1 = 0.5 - 1.0 / std::sqrt(4.44);
  BOOST_TEST(s(0) == a1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(1) == b1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(2) == 1.0, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(3) == 4.0, boost::test_tools::tolerance(1e-14));
  // k = 1: g = (a1, 4 b1), G = (1 + a1², 4 + 16 b1²).
  step(1, s);
  const double Ga = 1.0 + a1 * a1, Gb = 4.0 + 16.0 * b1 * b1;
  BOOST_TEST(s(0) == a1 - 0.5 * a1 / std::sqrt(Ga + 0.44), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(1) == b1 - 0.5 * 4.0 * b1 / std::sqrt(Gb + 0.44), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(2) == Ga, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(3) == Gb, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(rmsprop_first_steps_by_hand) {
  const AdaptiveScalar q;
  Vec s = adaptive_state(adaptive_vec({1.0}), 1);
  const Step step = rmsprop(q.objective, 0.1, 0.9, 0.01);
  // k = 0: g = 1, v = 0.1, θ = 1 − 0.1/√0.11.
  step(0, s);
  const double t1 = 1.0 - 0.1 / std::sqrt(0.11);
  BOOST_TEST(s(0) == t1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(1) == 0.1, boost::test_tools::tolerance(1e-14));
  // k = 1: g = t1, v = 0.09 + 0.1 t1², θ = t1 − 0.1 t1/√(v + 0.01).
  step(1, s);
  const double v2 = 0.09 + 0.1 * t1 * t1, t2 = t1 - 0.1 * t1 / std::sqrt(v2 + 0.01);
  BOOST_TEST(s(0) == t2, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(1) == v2, boost::test_tools::tolerance(1e-14));
  // k = 2: the same rule once more.
  step(2, s);
  const double v3 = 0.9 * v2 + 0.1 * t2 * t2;
  BOOST_TEST(s(0) == t2 - 0.1 * t2 / std::sqrt(v3 + 0.01), boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(adadelta_first_steps_by_hand) {
  const AdaptiveScalar q;
  Vec s = adaptive_state(adaptive_vec({1.0}), 2);
  const Step step = adadelta(q.objective, 1.0, 0.9, 0.01);
  // k = 0: g = 1, v = 0.1, d = √0.01/√0.11 = 0.1/√0.11, u = 0.1 d² = 0.001/0.11, θ = 1 − d.
  step(0, s);
  const double d1 = 0.1 / std::sqrt(0.11), u1 = 0.001 / 0.11, t1 = 1.0 - d1;
  BOOST_TEST(s(0) == t1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(1) == 0.1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(2) == u1, boost::test_tools::tolerance(1e-14));
  // k = 1: g = t1, v = 0.09 + 0.1 t1², d = √(u1 + 0.01)/√(v + 0.01) t1 (the old u, the new v).
  step(1, s);
  const double v2 = 0.09 + 0.1 * t1 * t1, d2 = std::sqrt(u1 + 0.01) / std::sqrt(v2 + 0.01) * t1;
  BOOST_TEST(s(0) == t1 - d2, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(1) == v2, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(2) == 0.9 * u1 + 0.1 * d2 * d2, boost::test_tools::tolerance(1e-14));
  // A learning rate scales the move but not what u accumulates (the update before η).
  Vec r = adaptive_state(adaptive_vec({1.0}), 2);
  adadelta(q.objective, 0.5, 0.9, 0.01)(0, r);
  BOOST_TEST(r(0) == 1.0 - 0.5 * d1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(r(2) == u1, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(adam_first_steps_by_hand) {
  const AdaptiveQuadratic q;
  const double eps = 1e-8;
  Vec s = adaptive_state(adaptive_vec({1.0, 0.5}), 2);
  const Step step = adam(q.objective, 0.1, 0.9, 0.999, eps, true);
  // k = 0: g = (1, 2); corrected moments are g and g², so each coordinate moves by η g/(|g| + ε).
  step(0, s);
  BOOST_TEST(s(0) == 1.0 - 0.1 * 1.0 / (1.0 + eps), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(1) == 0.5 - 0.1 * 2.0 / (2.0 + eps), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(s(2) == 0.1, boost::test_tools::tolerance(1e-14));     // m = 0.1 g
  BOOST_TEST(s(5) == 0.004, boost::test_tools::tolerance(1e-12));   // v = 0.001 g²
  // k = 1: θ ≈ (0.9, 0.4) so g = (0.9, 1.6); m = 0.9(0.1, 0.2) + 0.1(0.9, 1.6) = (0.18, 0.34),
  // v = 0.999(0.001, 0.004) + 0.001(0.81, 2.56) = (0.001809, 0.006556), corrections 0.19 and 0.001999.
  const double ta = s(0), tb = s(1);
  step(1, s);
  const double ga = ta, gb = 4.0 * tb;
  const double ma = 0.09 + 0.1 * ga, mb = 0.18 + 0.1 * gb;
  const double va = 0.999 * 0.001 + 0.001 * ga * ga, vb = 0.999 * 0.004 + 0.001 * gb * gb;
  BOOST_TEST(ma == 0.18, boost::test_tools::tolerance(1e-7));  // the rounded figures above
  BOOST_TEST(vb == 0.006556, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(s(0) == ta - 0.1 * (ma / 0.19) / (std::sqrt(va / 0.001999) + eps), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s(1) == tb - 0.1 * (mb / 0.19) / (std::sqrt(vb / 0.001999) + eps), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s(2) == ma, boost::test_tools::tolerance(1e-13));
  BOOST_TEST(s(5) == vb, boost::test_tools::tolerance(1e-12));
  // Without bias correction the first move is η (0.1 g)/√(0.001 g²) = η·√10 per coordinate.
  Vec r = adaptive_state(adaptive_vec({1.0, 0.5}), 2);
  adam(q.objective, 0.1, 0.9, 0.999, eps, false)(0, r);
  BOOST_TEST(r(0) == 1.0 - 0.1 * 0.1 / (std::sqrt(0.001) + eps), boost::test_tools::tolerance(1e-13));
  BOOST_TEST(r(1) == 0.5 - 0.1 * 0.2 / (std::sqrt(0.004) + eps), boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(adagrad_flow_matches_its_closed_form_on_a_scalar_quadratic) {
  // L = ½λθ²: θ dθ = −dG/(λ√(G + ε)) gives θ² + (4/λ)(√(G + ε) − √ε) = θ0², and with
  // S = √(G + ε), 2SṠ = A − 4λS, A = λ²θ0² + 4λ√ε, which integrates to
  // t(θ) = [A ln(θ0²/θ²) − λ²(θ0² − θ²)]/(8λ²).
  const double lambda = 2.0, eps = 0.01, theta0 = 1.0;
  LeastSquares model{Mat::Constant(1, 1, std::sqrt(lambda))};
  const Objective objective{model, Mat::Zero(1, 1), Reduction::sum};
  const double A = lambda * lambda * theta0 * theta0 + 4 * lambda * std::sqrt(eps);
  auto closed_time = [&](double th) {
    return (A * std::log(theta0 * theta0 / (th * th)) - lambda * lambda * (theta0 * theta0 - th * th)) /
           (8 * lambda * lambda);
  };
  std::vector<double> times;
  for (int i = 0; i <= 20; ++i) times.push_back(0.1 * i);
  const auto xs = trajectory(adagrad_flow(objective, eps), adaptive_state(adaptive_vec({theta0}), 1), 0.0, times, 1e-12);
  BOOST_REQUIRE(xs.size() == times.size());
  for (std::size_t i = 1; i < xs.size(); ++i) {
    const double th = xs[i](0), G = xs[i](1);
    BOOST_TEST(th * th + (4 / lambda) * (std::sqrt(G + eps) - std::sqrt(eps)) == theta0 * theta0,
               boost::test_tools::tolerance(1e-9));
    BOOST_TEST(closed_time(th) == times[i], boost::test_tools::tolerance(1e-7));
  }
  // Solving t(θ) = 2 by hand: ln(1/θ²) ≈ (64 + 4)/4.8, θ(2) ≈ 8.4e-4 (exponential decay once G settles).
  BOOST_TEST(xs.back()(0) > 7e-4);
  BOOST_TEST(xs.back()(0) < 1e-3);
}

BOOST_AUTO_TEST_CASE(adam_flow_starts_at_the_corrected_limit) {
  // At t = 0 the bias-corrected moments are g and g²: θ̇ = −g/(|g| + ε), whatever a and b are.
  const AdaptiveQuadratic q;
  Vec dx;
  adam_flow(q.objective, 3.0, 0.5, 1e-8, true)(adaptive_state(adaptive_vec({1.0, -0.5}), 2), dx, 0.0);
  BOOST_TEST(dx(0) == -1.0 / (1.0 + 1e-8), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(dx(1) == 2.0 / (2.0 + 1e-8), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(dx(2) == 3.0 * 1.0, boost::test_tools::tolerance(1e-14));  // ṁ = a(g − 0)
  BOOST_TEST(dx(5) == 0.5 * 4.0, boost::test_tools::tolerance(1e-14));  // v̇ = b(g² − 0)
}

BOOST_AUTO_TEST_CASE(adam_tracks_adam_flow_at_order_one) {
  const double order = adaptive_order("adam", "", {0.002, 0.001, 0.0005, 0.00025}, 1.0);
  BOOST_TEST(order == 1.0, boost::test_tools::tolerance(0.15));
}

BOOST_AUTO_TEST_CASE(rmsprop_tracks_rmsprop_flow_at_order_one) {
  const double order = adaptive_order("rmsprop", "rho = 0.9\n", {0.002, 0.001, 0.0005, 0.00025}, 1.0);
  BOOST_TEST(order == 1.0, boost::test_tools::tolerance(0.15));
}

BOOST_AUTO_TEST_CASE(adadelta_tracks_adadelta_flow_at_order_one_with_its_rate_fixed) {
  // AdaDelta's u is driven by d², which depends on u itself, so its one-step map is not the
  // flow's exponential step: only ρ = e^{−bη} with b fixed (β → 1) is consistent (docs/theory.md).
  const AdaptiveQuadratic q;
  // ε = 0.1: v passes ε within ε/(b g²) ≈ 0.01, a start-up layer that these η resolve.
  const double b = 2.0, eps = 0.1, horizon = 1.0;
  const Vec theta0 = adaptive_vec({1.0, 0.5});
  std::vector<double> etas, errors;
  const auto flow = trajectory(adadelta_flow(q.objective, b, eps), adaptive_state(theta0, 2), 0.0, {0.0, horizon}, 1e-12);
  for (const double eta : {0.002, 0.001, 0.0005, 0.00025}) {
    Vec s = adaptive_state(theta0, 2);
    const Step step = adadelta(q.objective, eta, std::exp(-b * eta), eps);
    const long K = std::lround(horizon / eta);
    for (long k = 0; k < K; ++k) step(k, s);
    etas.push_back(eta);
    errors.push_back((s.head(2) - flow.back().head(2)).norm());
  }
  const double order = loglog_slope(etas, errors);
  BOOST_TEST_MESSAGE("adadelta vs adadelta_flow (b fixed): |dtheta| " << errors.front() << " ... " << errors.back()
                                                                     << ", fitted order " << order);
  BOOST_TEST(errors.front() < 0.2 * (flow.back().head(2) - theta0).norm());
  BOOST_TEST(order == 1.0, boost::test_tools::tolerance(0.15));
}

BOOST_AUTO_TEST_CASE(adagrad_tracks_adagrad_flow_at_order_one_in_eta_on_t_equal_k_eta_squared) {
  // t = kη²: Euler's O(η²) plus the O(η) start-up layer of G from 0 (docs/theory.md).
  const double order = adaptive_order("adagrad", "", {0.01, 0.005, 0.0025, 0.00125}, 0.5);
  BOOST_TEST(order == 1.0, boost::test_tools::tolerance(0.15));
}

BOOST_AUTO_TEST_CASE(compare_fits_order_one_for_adam_against_its_flow) {
  CompareOptions o;
  o.etas = {0.002, 0.001, 0.0005, 0.00025};
  const CompareResult r = run_compare(adaptive_experiment("adam", ""), o);
  const auto [param, loss] = r.slopes.at("adam_vs_adam_flow");
  BOOST_TEST_MESSAGE("compare: adam vs adam_flow order " << param << " (parameters), " << loss << " (loss)");
  BOOST_TEST(param == 1.0, boost::test_tools::tolerance(0.15));
  BOOST_TEST(loss == 1.0, boost::test_tools::tolerance(0.15));
}

BOOST_AUTO_TEST_CASE(bad_hyper_parameters_are_refused_naming_the_key) {
  auto message = [](const std::string& kind, const std::string& extra) {
    try {
      adaptive_experiment(kind, extra);
    } catch (const input_error& ex) {
      return std::string(ex.what());
    }
    return std::string("accepted");
  };
  BOOST_TEST(message("adam", "beta1 = 1.0\n").find(".beta1: must be in [0, 1)") != std::string::npos);
  BOOST_TEST(message("adam_flow", "beta2 = 0.0\n").find(".beta2: must be in (0, 1) for a flow") != std::string::npos);
  BOOST_TEST(message("adagrad_flow", "eps = 0.0\n").find(".eps: must be positive") != std::string::npos);
  BOOST_TEST(message("rmsprop", "eta = -1.0\n").find(".eta: must be positive") != std::string::npos);
  BOOST_TEST(message("adadelta", "rho = 1.5\n").find(".rho: must be in [0, 1)") != std::string::npos);
  BOOST_TEST(message("adam", "") == "accepted");
}

BOOST_AUTO_TEST_SUITE_END()
