// `gradflow theory`: the numbers theory_report derives from an experiment file, checked on
// inputs small enough to work by hand. (The kernels and Xu's polynomial themselves are tested
// in kernels_test and xu_test; here the report must build the same data and θ0 as a run and
// carry the constants through.)
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "gradflow/experiment/theory_report.hpp"
#include "support.hpp"

using namespace gradflow;
namespace fs = std::filesystem;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

Experiment experiment(const std::string& toml, const std::vector<std::string>& sets = {}) {
  Config c = Config::parse(toml, "test");
  for (const auto& s : sets) c.set(s);
  return parse_experiment(c);
}

double num(const nlohmann::json& j, const std::string& key) {
  BOOST_REQUIRE_MESSAGE(j.contains(key) && j[key].is_number(), "report has no number '" << key << "'");
  return j[key].get<double>();
}

/// Three unit inputs e1, e2, (e1 + e2)/√2 in a CSV with a zero target column.
std::string three_points_csv() {
  const fs::path p = fs::temp_directory_path() / ("gradflow_theory_test_" + std::to_string(::getpid()) + ".csv");
  const double r = 1 / std::sqrt(2.0);
  std::ofstream out(p);
  out.precision(17);
  out << "1,0,0\n0,1,0\n" << r << "," << r << ",0\n";
  return p.string();
}

/// relu2 of width 50 with gradient flow on the points of `csv`, used as they are.
std::string relu2_on(const std::string& csv) {
  return R"(
    [data]
    kind = "csv"
    path = ")" + csv + R"("
    normalize = "none"
    standardize_targets = false
    [model]
    kind = "relu2"
    width = 50
    [[methods]]
    kind = "gf"
  )";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(theory_report)

BOOST_AUTO_TEST_CASE(relu2_h_infinity_and_bounds_by_hand) {
  // H∞_ij = x_iᵀx_j (π − θ_ij)/(2π): ½ on the diagonal, 0 for e1 ⟂ e2 and
  // a = cos(π/4)(3π/4)/(2π) = 3/(8√2) between e_i and (e1 + e2)/√2. On (1, −1, 0) the
  // eigenvalue is ½; on span{(1, 1, 0)/√2, e3} H∞ is [[½, √2 a], [√2 a, ½]], eigenvalues
  // ½ ± 3/8. So λ0 = 1/8 and λ_max = 7/8.
  const std::string csv = three_points_csv();
  const auto e = experiment(relu2_on(csv) + R"(
    [[methods]]
    kind = "nag_flow"
    name = "nag"
    gamma = 3.0
  )");
  const auto j = gradflow::theory_report(e, {.delta = 0.1});
  fs::remove(csv);
  BOOST_TEST(std::abs(num(j, "lambda0") - 0.125) < 1e-14);
  BOOST_TEST(std::abs(num(j, "H_inf_lambda_max") - 0.875) < 1e-14);
  BOOST_TEST(std::abs(num(j, "H_inf_diag_mean") - 0.5) < 1e-15);
  // Du et al.: m = n⁶/(λ0⁴δ³) = 3⁶·8⁴/10⁻³.
  BOOST_TEST(std::abs(num(j, "width_required_du") / (729.0 * 4096.0 * 1000.0) - 1) < 1e-12);
  BOOST_TEST(std::abs(num(j, "width_ratio_du") * 729.0 * 4096.0 * 1000.0 / 50 - 1) < 1e-12);
  // Bu et al.'s HBF: damping √(2λ0) = ½, rate √(λ0/2) = ¼, prefactor 4/λ0 = 32 (sum loss, c = 1).
  BOOST_TEST(std::abs(num(j, "gf_rate_bound") - 0.125) < 1e-14);
  BOOST_TEST(std::abs(num(j, "hbf_damping") - 0.5) < 1e-14);
  BOOST_TEST(std::abs(num(j, "hbf_rate_bound") - 0.25) < 1e-14);
  BOOST_TEST(std::abs(num(j, "hbf_prefactor") - 32.0) < 1e-12);
  // γ = 3 gives α = 2γ/3 = 2, outside Bu et al.'s range 4 < α.
  BOOST_TEST(j["methods"]["nag"]["alpha"].get<double>() == 2.0);
  BOOST_TEST(j["methods"]["nag"]["bu_nag_theorem_applies"].get<bool>() == false);
  // The finite-width H(θ0) is PSD: 0 ≤ λ_min ≤ λ_max.
  BOOST_TEST(num(j, "lambda_min_H0") >= -1e-12);
  BOOST_TEST(num(j, "lambda_min_H0") <= num(j, "lambda_max_H0"));
}

BOOST_AUTO_TEST_CASE(mean_loss_scales_the_constants_by_one_over_n) {
  const std::string csv = three_points_csv();
  const std::string toml = relu2_on(csv);
  const auto j = gradflow::theory_report(experiment(toml, {"loss.reduction=mean"}));
  fs::remove(csv);
  // K = cH with c = 1/n = 1/3: GF rate cλ0 = 1/24, HBF damping √(2cλ0) = √(1/12).
  BOOST_TEST(std::abs(num(j, "loss_scale_c") - 1.0 / 3) < 1e-15);
  BOOST_TEST(std::abs(num(j, "gf_rate_bound") - 1.0 / 24) < 1e-15);
  BOOST_TEST(std::abs(num(j, "hbf_damping") - std::sqrt(1.0 / 12)) < 1e-15);
}

BOOST_AUTO_TEST_CASE(xu_coefficients_of_a_hand_worked_scalar_network) {
  // X = 1, Y = 3, w1 = w2 = 1: W = 1, E = 2, L(0) = 2, D = 0, σ_min = σ_max = κ = 1.
  //   p1 = (σ_min(Y) − ‖E‖)/σ_max(X) = 1,  p2 = (‖Y‖ + ‖E‖)/σ_min(X) = 5
  //   α0 = √(0 + 4p1²) = 2,  β0 = ½√(4p2²) + ½√(4p2²) = 10;  c1α0 = 1, c2β0 = 15
  //   a1 = 2·1·1 = 2
  //   a2 = 2√(2·1·2·1)·5 + 15² = 20 + 225 = 245
  //   a3 = 2√(2·1·2·1)·15·5 = 300
  //   a4 = 2·1·1·5²·2 = 100
  const auto j = gradflow::theory_report(experiment(R"(
    [data]
    kind = "scalar"
    y = 3.0
    [model]
    kind = "scalar"
    w1 = 1.0
    w2 = 1.0
    [[methods]]
    kind = "gd"
    eta = 0.001
  )"));
  BOOST_TEST(num(j, "loss0") == 2.0);
  BOOST_TEST(std::abs(num(j, "p1") - 1) < 1e-14);
  BOOST_TEST(std::abs(num(j, "p2") - 5) < 1e-14);
  BOOST_TEST(std::abs(num(j, "alpha0") - 2) < 1e-14);
  BOOST_TEST(std::abs(num(j, "beta0") - 10) < 1e-13);
  BOOST_TEST(std::abs(num(j, "a1") - 2) < 1e-13);
  BOOST_TEST(std::abs(num(j, "a2") - 245) < 1e-11);
  BOOST_TEST(std::abs(num(j, "a3") - 300) < 1e-11);
  BOOST_TEST(std::abs(num(j, "a4") - 100) < 1e-11);
  const auto f = [&](double eta) { return 1 - 2 * eta + 245 * eta * eta + 300 * std::pow(eta, 3) + 100 * std::pow(eta, 4); };
  BOOST_TEST(std::abs(j["methods"]["gd_eta0.001"]["f_eta_0"].get<double>() - f(0.001)) < 1e-15);
  // η* minimises f(η, 0) over (0, η_max]: compare with a grid of 20000 points.
  const double star = num(j, "eta_star"), emax = num(j, "eta_max");
  BOOST_TEST(star > 0);
  BOOST_TEST(star <= emax);
  double best = 1e300;
  for (int i = 1; i <= 20000; ++i) best = std::min(best, f(emax * i / 20000.0));
  BOOST_TEST(f(star) <= best + 1e-15);
  BOOST_TEST(std::abs(num(j, "xu_rate") - f(star)) < 1e-15);
  BOOST_TEST(num(j, "xu_rate") < 1.0);
}

BOOST_AUTO_TEST_CASE(one_layer_linear_least_squares) {
  // f = XW: L* = ½‖(I − XX⁺)Y‖², and Xu's eq. (21) is least at η = 1/σ²_max with rate 1 − 1/κ.
  const auto e = experiment(R"(
    seed = 4
    [data]
    kind = "linear"
    n = 12
    d = 3
    k = 2
    noise = 0.3
    [model]
    kind = "linear"
    [[methods]]
    kind = "gd_xu_fixed"
  )");
  const auto j = gradflow::theory_report(e);
  Rng rng(e.seed);
  Rng data_rng = rng.split();
  const Dataset data = make_dataset(e.data, data_rng);
  const Mat W = (data.X.transpose() * data.X).ldlt().solve(data.X.transpose() * data.Y);  // normal equations
  const double star = 0.5 * (data.Y - data.X * W).squaredNorm();
  BOOST_TEST(std::abs(num(j, "loss_star") - star) < 1e-12 * star);
  BOOST_TEST(num(j, "loss_star") > 0);  // noisy labels: no exact fit with 12 > 3 samples
  Eigen::JacobiSVD<Mat> svd(data.X);
  const double smax = svd.singularValues()(0), smin = svd.singularValues()(2);
  BOOST_TEST(std::abs(num(j, "eta_star") * smax * smax - 1) < 1e-12);
  BOOST_TEST(std::abs(num(j, "xu_rate") - (1 - smin * smin / (smax * smax))) < 1e-12);
  // One GD run: the loss approaches L* from above at least at the rate the bound promises.
  const RunResult r = run_experiment(e, {});
  const auto loss = r.methods[0].table.values("loss");
  for (std::size_t k = 1; k < loss.size(); ++k)
    BOOST_TEST(loss[k] - star <= num(j, "xu_rate") * (loss[k - 1] - star) * (1 + 1e-9) + 1e-13);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
