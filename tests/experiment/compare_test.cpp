// gradflow compare: GD is explicit Euler on GF (order 1) and tracks the modified flow
// θ̇ = −∇(L + (η/4)‖∇L‖²) to second order (MATH.md §6); GD past 2/λ_max leaves the basin.
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

Experiment smooth_experiment(const std::string& extra = "") {
  Config c = Config::parse(R"(
seed = 4
[data]
kind = "sphere"
n = 12
d = 4
[model]
kind = "two_layer"
width = 40
activation = "tanh"
[run]
t_end = 2.0
[[methods]]
kind = "gd"
eta = 0.1
)" + extra, "compare test");
  return parse_experiment(c);
}

const CompareRow& row(const CompareResult& r, const std::string& method, double eta) {
  for (const auto& x : r.rows)
    if (x.method == method && x.eta == eta) return x;
  throw std::runtime_error("no row " + method);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(compare)

BOOST_AUTO_TEST_CASE(gd_tracks_gf_at_order_one_and_the_modified_flow_at_order_two) {
  CompareOptions o;
  o.etas = {0.08, 0.04, 0.02, 0.01};
  const CompareResult r = run_compare(smooth_experiment(), o);
  const auto [gf_param, gf_loss] = r.slopes.at("gd_vs_gf");
  const auto [mod_param, mod_loss] = r.slopes.at("gd_vs_modified_gf");
  BOOST_TEST_MESSAGE("GD vs GF order " << gf_param << ", GD vs modified GF order " << mod_param);
  BOOST_TEST(std::abs(gf_param - 1.0) <= 0.15);
  BOOST_TEST(std::abs(gf_loss - 1.0) <= 0.15);
  BOOST_TEST(std::abs(mod_param - 2.0) <= 0.2);
  BOOST_TEST(std::abs(mod_loss - 2.0) <= 0.2);
  BOOST_TEST(row(r, "gd_vs_modified_gf", 0.01).max_param_dev < 0.1 * row(r, "gd_vs_gf", 0.01).max_param_dev);
  BOOST_TEST(row(r, "gd_vs_gf", 0.08).iterations == 25);
}

// With weight decay both twins take gd's lambda (compare copies keys of the same name): GD on
// L + (λ/2)‖θ‖² is still order 1 against gf and order 2 against the modified flow.
BOOST_AUTO_TEST_CASE(weight_decay_reaches_both_twins) {
  CompareOptions o;
  o.etas = {0.08, 0.04, 0.02, 0.01};
  Experiment e = smooth_experiment();
  e.methods.front().params.set("weight_decay", 0.3);
  const CompareResult r = run_compare(e, o);
  const auto [gf_param, gf_loss] = r.slopes.at("gd_vs_gf");
  const auto [mod_param, mod_loss] = r.slopes.at("gd_vs_modified_gf");
  BOOST_TEST_MESSAGE("weight decay 0.3: GD vs GF order " << gf_param << ", vs modified GF order " << mod_param);
  BOOST_TEST(std::abs(gf_param - 1.0) <= 0.15);
  BOOST_TEST(std::abs(mod_param - 2.0) <= 0.2);
  BOOST_TEST(std::abs(mod_loss - 2.0) <= 0.25);
  BOOST_TEST(row(r, "gd_vs_modified_gf", 0.01).max_param_dev < 0.1 * row(r, "gd_vs_gf", 0.01).max_param_dev);
}

BOOST_AUTO_TEST_CASE(gd_past_the_stability_limit_leaves_the_basin) {
  CompareOptions o;
  o.horizon = 20.0;
  const Experiment e = smooth_experiment();
  o.etas = {0.05};
  const CompareResult probe = run_compare(e, o);
  const double limit = 2.0 / probe.hessian_lambda_max;
  o.etas = {0.5 * limit, 2.0 * limit};
  const CompareResult r = run_compare(e, o);
  BOOST_TEST(row(r, "gd_vs_gf", 0.5 * limit).stable);
  BOOST_TEST(!row(r, "gd_vs_gf", 0.5 * limit).left_basin);
  BOOST_TEST(!row(r, "gd_vs_gf", 2.0 * limit).stable);
  BOOST_TEST(row(r, "gd_vs_gf", 2.0 * limit).left_basin);
}

BOOST_AUTO_TEST_CASE(imbalance_drift_of_gd_shrinks_with_eta) {
  Config c = Config::parse(R"(
[data]
kind = "linear"
n = 10
d = 4
k = 3
[model]
kind = "linear2"
width = 5
init_scale = 0.5
[run]
t_end = 2.0
[[methods]]
kind = "gd"
eta = 0.01
)", "compare test");
  CompareOptions o;
  // O(η²) per step over a fixed horizon: O(η) in all, once η is small enough.
  o.etas = {0.005, 0.0025, 0.00125};
  const CompareResult r = run_compare(parse_experiment(c), o);
  std::vector<double> etas, drifts;
  for (const double eta : o.etas) {
    etas.push_back(eta);
    drifts.push_back(row(r, "gd_vs_gf", eta).imbalance_drift);
  }
  BOOST_TEST(drifts[0] > 0);
  BOOST_TEST(test::loglog_slope(etas, drifts) == 1.0, boost::test_tools::tolerance(0.15));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
