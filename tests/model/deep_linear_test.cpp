// Deep linear networks (Arora, Cohen, Hazan 2018): derivatives against finite differences, the
// balancedness invariants, the end-to-end flow of Theorem 1 against gradient flow on the
// factors, and the preconditioner's spectrum.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>

#include "gradflow/experiment/problem.hpp"
#include "gradflow/model/linear.hpp"
#include "support.hpp"

using namespace gradflow;
using namespace gradflow::test;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

struct DeepNet {
  Mat X, Y;
  std::vector<Index> widths;
  std::unique_ptr<DeepLinear> model;
  Vec theta0;
};

/// n Gaussian inputs in R^d, k Gaussian targets, N factors of width h.
DeepNet deep_net(Index n, Index d, Index k, Index N, Index h, const DeepLinearInit& init, std::uint64_t seed = 11) {
  Rng rng(seed);
  DeepNet net;
  net.X = rng.normal(n, d);
  net.Y = rng.normal(n, k);
  net.widths = {d};
  for (Index j = 1; j < N; ++j) net.widths.push_back(h);
  net.widths.push_back(k);
  net.model = std::make_unique<DeepLinear>(net.X, std::vector<Index>(net.widths.begin() + 1, net.widths.end() - 1), k);
  net.theta0 = net.model->pack(draw_deep_linear(net.widths, init, rng));
  return net;
}

double max_balance_residual(const DeepLinear& m, const Vec& theta) {
  double worst = 0;
  for (Index j = 1; j < m.depth(); ++j) worst = std::max(worst, m.balance_residual(theta, j).norm());
  return worst;
}

/// θ(t) of `system` at `times`, integrated tightly.
std::vector<Vec> deep_trajectory(const System& system, Vec x, const std::vector<double>& times) {
  return trajectory(system, std::move(x), 0.0, times, 1e-11);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(deep_linear)

BOOST_AUTO_TEST_CASE(gradient_jvp_and_ntk_match_an_explicit_jacobian) {
  for (Index N : {2, 3, 4}) {
    const DeepNet net = deep_net(7, 4, 2, N, 3, {"normal", 0.7});
    const Mat J = fd_jacobian(*net.model, net.theta0);
    Rng rng(3);
    const Vec r = rng.normal(net.model->num_outputs(), 1), v = rng.normal(net.model->num_params(), 1);
    Vec g, Jv;
    Mat H;
    net.model->gradient(net.theta0, r, g);
    net.model->jvp(net.theta0, v, Jv);
    net.model->ntk(net.theta0, H);
    const Vec g_fd = J.transpose() * r, Jv_fd = J * v;
    const Mat H_fd = J * J.transpose();
    // Central differences of a polynomial of degree N: error O(h²) ≈ 1e-12 relative, rounding 1e-10.
    BOOST_TEST((g - g_fd).norm() <= 1e-7 * g_fd.norm(), "N = " << N << ": |J^T r - fd| = " << (g - g_fd).norm());
    BOOST_TEST((Jv - Jv_fd).norm() <= 1e-7 * Jv_fd.norm(), "N = " << N << ": |J v - fd| = " << (Jv - Jv_fd).norm());
    BOOST_TEST((H - H_fd).norm() <= 1e-7 * H_fd.norm(), "N = " << N << ": |H - J J^T| = " << (H - H_fd).norm());
    Vec f;
    net.model->predict(net.theta0, f);
    const Mat W = net.model->end_to_end(net.theta0);
    const Mat XW = net.X * W;
    BOOST_TEST((f - Eigen::Map<const Vec>(XW.data(), XW.size())).norm() <= 1e-12 * f.norm());
  }
}

BOOST_AUTO_TEST_CASE(balanced_initialisation_is_balanced_with_the_drawn_product) {
  for (Index N : {2, 3, 5}) {
    const DeepNet net = deep_net(6, 5, 3, N, 4, {"balanced", 0.8});
    const double scale = net.theta0.squaredNorm();
    BOOST_TEST(max_balance_residual(*net.model, net.theta0) <= 1e-13 * scale, "N = " << N);
    // The product is the N(0, s²) draw itself: the first draw of the same seed after X and Y.
    Rng rng(11);
    rng.normal(6, 5);
    rng.normal(6, 3);
    const Mat W0 = rng.normal(5, 3, 0.8);
    BOOST_TEST((net.model->end_to_end(net.theta0) - W0).norm() <= 1e-12 * W0.norm(), "N = " << N);
  }
}

BOOST_AUTO_TEST_CASE(balancedness_is_conserved_by_gradient_flow_and_drifts_at_eta_squared_under_gd) {
  const DeepNet net = deep_net(12, 4, 2, 3, 5, {"normal", 0.6});
  const Objective obj(*net.model, net.Y, Reduction::sum);
  std::vector<Mat> R0;
  for (Index j = 1; j < 3; ++j) R0.push_back(net.model->balance_residual(net.theta0, j));
  const auto traj = deep_trajectory(gradient_flow(obj), net.theta0, {0.0, 0.5, 2.0, 6.0});
  double worst = 0;
  for (const Vec& th : traj)
    for (Index j = 1; j < 3; ++j) worst = std::max(worst, (net.model->balance_residual(th, j) - R0[j - 1]).norm());
  BOOST_TEST(worst <= 1e-7 * net.theta0.squaredNorm(), "|R_j(t) - R_j(0)| = " << worst);
  BOOST_TEST(obj.value(traj.back()) < 0.5 * obj.value(net.theta0), "the run actually trains");
  // One GD step changes R_j by η²(G_jᵀG_j − G_{j+1}G_{j+1}ᵀ) exactly (the O(η) terms cancel).
  std::vector<double> etas, drifts;
  for (double eta : {1e-2, 5e-3, 2.5e-3, 1.25e-3}) {
    Vec th = net.theta0;
    gradient_descent(obj, eta)(0, th);
    etas.push_back(eta);
    drifts.push_back((net.model->balance_residual(th, 1) - R0[0]).norm());
  }
  const double order = loglog_slope(etas, drifts);
  BOOST_TEST(std::abs(order - 2.0) < 0.02, "GD's drift of the balancedness residual has order " << order);
}

BOOST_AUTO_TEST_CASE(from_a_balanced_start_the_deep_product_follows_the_end_to_end_flow) {
  for (double lambda : {0.0, 0.3}) {
    for (Index N : {2, 3, 4}) {
      const DeepNet net = deep_net(15, 4, 2, N, 5, {"balanced", 0.9});
      const Objective deep_obj(*net.model, net.Y, Reduction::sum);
      const Linear linear(net.X, 2);
      const Objective e2e_obj(linear, net.Y, Reduction::sum);
      const Mat W0 = net.model->end_to_end(net.theta0);
      const std::vector<double> times = grid(3.0, 6);
      const auto deep = deep_trajectory(gradient_flow(deep_obj, lambda), net.theta0, times);
      const auto e2e = deep_trajectory(end_to_end_flow(e2e_obj, 4, 2, static_cast<int>(N), lambda),
                                       Eigen::Map<const Vec>(W0.data(), W0.size()), times);
      double worst = 0, travel = 0;
      for (std::size_t i = 0; i < times.size(); ++i) {
        const Mat W = net.model->end_to_end(deep[i]);
        worst = std::max(worst, (W - Eigen::Map<const Mat>(e2e[i].data(), 4, 2)).norm());
        travel = std::max(travel, (W - W0).norm());
      }
      BOOST_TEST(worst <= 1e-7 * travel, "N = " << N << ", lambda = " << lambda << ": |W_deep - W_e2e| = " << worst
                                                << " over a travel of " << travel);
      BOOST_TEST(travel > 0.1 * W0.norm(), "the product moves");
    }
  }
}

BOOST_AUTO_TEST_CASE(an_unbalanced_start_leaves_the_end_to_end_flow) {
  // The theorem needs balancedness: from a generic start the gap is of the order of the motion.
  const DeepNet net = deep_net(15, 4, 2, 3, 5, {"normal", 0.9});
  const Objective deep_obj(*net.model, net.Y, Reduction::sum);
  const Linear linear(net.X, 2);
  const Objective e2e_obj(linear, net.Y, Reduction::sum);
  const Mat W0 = net.model->end_to_end(net.theta0);
  const auto deep = deep_trajectory(gradient_flow(deep_obj), net.theta0, {0.0, 1.0});
  const auto e2e = deep_trajectory(end_to_end_flow(e2e_obj, 4, 2, 3, 0.0), Eigen::Map<const Vec>(W0.data(), W0.size()), {0.0, 1.0});
  const Mat W = net.model->end_to_end(deep.back());
  // 1000 times the tolerance of the balanced case above.
  BOOST_TEST((W - Eigen::Map<const Mat>(e2e.back().data(), 4, 2)).norm() > 1e-4 * (W - W0).norm());
}

BOOST_AUTO_TEST_CASE(preconditioner_eigenvalues_are_sums_of_singular_value_powers) {
  Rng rng(5);
  for (auto [d, k] : {std::pair<Index, Index>{4, 3}, {2, 5}, {3, 3}}) {
    for (int N : {1, 2, 3, 4}) {
      const Mat W = rng.normal(d, k);
      const EndToEndPreconditioner P(W, N);
      // The operator as a dk × dk matrix, column by column on the basis e_a e_bᵀ.
      Mat A(d * k, d * k);
      for (Index c = 0; c < d * k; ++c) {
        Mat G = Mat::Zero(d, k);
        G(c % d, c / d) = 1.0;
        const Mat PG = P.apply(G);
        A.col(c) = Eigen::Map<const Vec>(PG.data(), PG.size());
      }
      BOOST_TEST((A - A.transpose()).norm() <= 1e-12 * A.norm(), "P_W is symmetric");
      Vec found = Eigen::SelfAdjointEigenSolver<Mat>(A).eigenvalues();
      // Σ_j σ_r^{2(j−1)/N} σ_s^{2(N−j)/N} over r ≤ d, s ≤ k, σ padded with zeros (0⁰ = 1).
      const Vec sigma = Eigen::JacobiSVD<Mat>(W).singularValues();
      std::vector<double> expected;
      for (Index r = 0; r < d; ++r)
        for (Index s = 0; s < k; ++s) {
          const double sr = r < sigma.size() ? sigma(r) : 0.0, ss = s < sigma.size() ? sigma(s) : 0.0;
          double e = 0;
          for (int j = 1; j <= N; ++j) e += std::pow(sr, 2.0 * (j - 1) / N) * std::pow(ss, 2.0 * (N - j) / N);
          expected.push_back(e);
        }
      std::sort(expected.begin(), expected.end());
      double worst = 0;
      for (Index i = 0; i < found.size(); ++i) worst = std::max(worst, std::abs(found(i) - expected[i]));
      BOOST_TEST(worst <= 1e-10 * expected.back(), "d=" << d << " k=" << k << " N=" << N << ": eigenvalue error " << worst);
    }
  }
}

BOOST_AUTO_TEST_CASE(depth_one_end_to_end_descent_is_gradient_descent) {
  Rng rng(8);
  const Mat X = rng.normal(9, 3), Y = rng.normal(9, 2);
  const Linear linear(X, 2);
  const Objective obj(linear, Y, Reduction::sum);
  Vec a = rng.normal(6, 1), b = a;
  end_to_end_descent(obj, 3, 2, 1, 0.05, 0.2)(0, a);
  gradient_descent(obj, 0.05, 0.2)(0, b);
  BOOST_TEST((a - b).norm() <= 1e-13 * b.norm());
}

BOOST_AUTO_TEST_CASE(end_to_end_descent_converges_to_its_flow_at_order_one) {
  const DeepNet net = deep_net(15, 4, 2, 3, 5, {"balanced", 0.9});
  const Linear linear(net.X, 2);
  const Objective obj(linear, net.Y, Reduction::sum);
  const Mat W0 = net.model->end_to_end(net.theta0);
  const Vec w0 = Eigen::Map<const Vec>(W0.data(), W0.size());
  const double T = 0.5;
  const Vec flow = deep_trajectory(end_to_end_flow(obj, 4, 2, 3, 0.1), w0, {0.0, T}).back();
  std::vector<double> etas, errors;
  for (long steps : {1600, 3200, 6400, 12800}) {
    const double eta = T / static_cast<double>(steps);
    Vec w = w0;
    const Step step = end_to_end_descent(obj, 4, 2, 3, eta, 0.1);
    for (long i = 0; i < steps; ++i) step(i, w);
    etas.push_back(eta);
    errors.push_back((w - flow).norm());
  }
  const double order = loglog_slope(etas, errors);
  BOOST_TEST(std::abs(order - 1.0) < 0.05, "update (10) against Theorem 1's flow: order " << order << " (errors "
                                                << errors[0] << " ... " << errors[3] << ")");
}

BOOST_AUTO_TEST_CASE(warm_up_gap_is_second_order_in_eta) {
  // Arora et al.'s warm-up: one GD step on (w1, w2) is w − ρ∇L(w) − γw up to O(η²).
  Config c = Config::parse(R"(
    [data]
    kind = "gaussian"
    n = 20
    d = 5
    [model]
    kind = "overparam_scalar"
    w2 = 0.7
    [[methods]]
    kind = "gd"
    eta = 0.01
  )", "test");
  const Experiment e = parse_experiment(c);
  const Problem problem(e);
  nlohmann::json j;
  problem.experiment().model.descriptor().theory(problem, problem.experiment().model.params, 0.05, j);
  BOOST_TEST(std::abs(j["warmup_gap_order"].get<double>() - 2.0) < 0.05, "order " << j["warmup_gap_order"]);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
