// Lyapunov functions checked on real trajectories (MATH.md §4), pseudo-loss against an
// explicitly formed H, and the frozen-kernel error dynamics against the linearised model.
#include <boost/test/unit_test.hpp>

#include "gradflow/theory/lyapunov.hpp"
#include "support.hpp"

using namespace gradflow;
using namespace gradflow::test;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

/// Integrates a second-order error flow with kernel K and evaluates the energy columns at
/// dense samples; returns the table (columns t, pseudo_loss, ...).
Table energies(const Mat& K, const Vec& d0, Damping damping, const EnergyOptions& eo, double t_end, double t_start) {
  const Index n = K.rows();
  LeastSquares dummy(Mat::Identity(n, n));  // supplies the loss scale c = 1
  const Objective obj(dummy, Vec::Zero(n), Reduction::sum);
  Diagnostics d;
  d.push_back(energy_diagnostic(eo));
  Recorder rec(std::move(d));
  Table table{rec.columns(), {}};
  std::vector<double> times;
  for (int i = 0; i <= 3000; ++i) times.push_back(t_start + (t_end - t_start) * i / 3000.0);
  Vec x = Vec::Zero(2 * n);
  x.head(n) = d0;
  IntegrateOptions o;
  o.rtol = 1e-11;
  o.atol = 1e-13;
  Vec delta, rate;
  integrate(error_flow(K, std::move(damping)), x, t_start, times, o, [&](double t, const Vec& s) {
    delta = s.head(n);
    rate = s.tail(n);
    Sample sample(obj, {.t = t, .delta = &delta, .delta_dot = &rate, .kernel = &K});
    table.rows.push_back(rec.row(sample));
    return true;
  });
  return table;
}

/// Largest relative increase between consecutive samples with t ≥ from.
double worst_increase(const Table& t, const std::string& column, double from = 0.0) {
  const auto ts = t.values("t"), v = t.values(column);
  double worst = -1e300;
  for (std::size_t i = 1; i < v.size(); ++i)
    if (ts[i - 1] >= from) worst = std::max(worst, (v[i] - v[i - 1]) / std::abs(v[i - 1]));
  return worst;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(energy)

BOOST_AUTO_TEST_CASE(siegel_energy_is_non_increasing_along_hbf) {
  const double lambda0 = 0.2;
  const Mat K = Vec((Vec(4) << 0.1, 0.2, 0.7, 2.0).finished()).asDiagonal();  // K ⪰ (λ0/2) I
  EnergyOptions eo;
  eo.dynamics = EnergyOptions::Dynamics::heavy_ball;
  eo.lambda0 = lambda0;
  eo.damping = std::sqrt(2 * lambda0);
  const Table t = energies(K, Vec::Ones(4), constant_damping(eo.damping), eo, 40.0, 0.0);
  BOOST_REQUIRE(t.column("siegel") > 0);
  BOOST_REQUIRE(t.column("bound") > 0);
  BOOST_TEST(worst_increase(t, "siegel") <= 1e-9);
  // Bu et al.'s bound holds along the trajectory.
  const auto bound = t.values("bound");
  const auto lhat = t.values("pseudo_loss");
  BOOST_TEST(t.values("siegel").back() < 1e-3 * t.values("siegel").front());
  for (std::size_t i = 0; i < bound.size(); i += 100) BOOST_TEST(lhat[i] <= 2.0 * bound[i]);
}

BOOST_AUTO_TEST_CASE(su_energy_with_alpha_two_is_non_increasing_along_nag) {
  const Mat K = Vec((Vec(2) << 1.0, 0.05).finished()).asDiagonal();
  for (const double gamma : {3.0, 7.0}) {
    EnergyOptions eo;
    eo.dynamics = EnergyOptions::Dynamics::nesterov;
    eo.lambda0 = 0.1;
    eo.gamma = gamma;
    eo.alpha = 2.0;
    const Table t = energies(K, Vec::Ones(2), nesterov_damping(gamma), eo, 60.0, 1e-6);
    BOOST_TEST(worst_increase(t, "su") <= 1e-8, "gamma = " << gamma);
  }
}

BOOST_AUTO_TEST_CASE(su_energy_grows_for_alpha_above_two_but_the_corrected_one_does_not) {
  // γ = 7, α = 14/3, H = diag(1, 0.05): V grows; Ṽ is non-increasing past t* ≈ 13.3.
  const Mat K = Vec((Vec(2) << 1.0, 0.05).finished()).asDiagonal();
  EnergyOptions eo;
  eo.dynamics = EnergyOptions::Dynamics::nesterov;
  eo.lambda0 = 0.1;
  eo.gamma = 7.0;
  eo.alpha = 14.0 / 3.0;
  const Table t = energies(K, Vec::Ones(2), nesterov_damping(7.0), eo, 60.0, 1e-6);
  const double t_star = su_t_star(eo.alpha, eo.gamma, 0.05);
  BOOST_TEST(t_star == 13.3, boost::test_tools::tolerance(0.01));
  BOOST_TEST(worst_increase(t, "su") > 1e-3, "V does increase somewhere");
  BOOST_TEST(worst_increase(t, "su_corrected", t_star) <= 1e-8);
}

BOOST_AUTO_TEST_CASE(pseudo_loss_matches_an_explicitly_formed_kernel) {
  ModelOptions mo;
  mo.kind = "two_layer";
  mo.width = 7;
  mo.activation = "softplus";
  const SmallProblem p = make_problem("sphere", 6, 3, mo);
  const Objective obj = p.objective();
  const Mat J = fd_jacobian(*p.inst.model, p.inst.theta0);
  const Vec delta = obj.residual(p.inst.theta0);
  const double expected = 0.5 * delta.dot(J * J.transpose() * delta);
  Diagnostics d;
  d.push_back(energy_diagnostic({}));
  Recorder rec(std::move(d));
  Sample s(obj, {.t = 0.0, .theta = &p.inst.theta0});
  BOOST_TEST(rec.row(s)[1] == expected, boost::test_tools::tolerance(1e-7));
}

BOOST_AUTO_TEST_CASE(frozen_error_dynamics_equal_the_linearised_models_flows) {
  ModelOptions mo;
  mo.kind = "two_layer";
  mo.width = 30;
  mo.activation = "tanh";
  const SmallProblem p = make_problem("sphere", 8, 3, mo, 4);
  const Linearized lin(*p.inst.model, p.inst.theta0);
  const Objective obj(lin, p.data.Y, Reduction::sum);
  Mat H;
  p.inst.model->ntk(p.inst.theta0, H);
  const Vec d0 = obj.residual(p.inst.theta0);
  std::vector<double> times;
  for (int i = 0; i <= 50; ++i) times.push_back(0.2 * i);
  // First order: weight-space GF of the linearised model against Δ̇ = −H(θ0)Δ.
  const auto weights = trajectory(gradient_flow(obj), p.inst.theta0, 0.0, times, 1e-10);
  const auto errors = trajectory(error_flow(H), d0, 0.0, times, 1e-10);
  double worst = 0;
  for (std::size_t i = 0; i < times.size(); ++i) worst = std::max(worst, (obj.residual(weights[i]) - errors[i]).norm());
  BOOST_TEST(worst <= 1e-7 * d0.norm(), "GF gap " << worst);
  // Second order: HBF on the weights against Δ̈ + aΔ̇ + H(θ0)Δ = 0.
  const double a = 0.7;
  const auto hw = trajectory(momentum_flow(obj, constant_damping(a)), at_rest(p.inst.theta0), 0.0, times, 1e-10);
  Vec e0 = Vec::Zero(2 * d0.size());
  e0.head(d0.size()) = d0;
  const auto he = trajectory(error_flow(H, constant_damping(a)), e0, 0.0, times, 1e-10);
  worst = 0;
  for (std::size_t i = 0; i < times.size(); ++i)
    worst = std::max(worst, (obj.residual(hw[i].head(p.inst.theta0.size())) - he[i].head(d0.size())).norm());
  BOOST_TEST(worst <= 1e-7 * d0.norm(), "HBF gap " << worst);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
