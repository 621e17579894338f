// Conservation laws of gradient flow and their exact discrete drift (MATH.md §2).
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace gradflow;
using namespace gradflow::test;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

BOOST_AUTO_TEST_SUITE(invariants)

BOOST_AUTO_TEST_CASE(linear2_imbalance_is_conserved_by_gradient_flow) {
  for (const char* init : {"normal", "balanced"}) {
    ModelOptions mo;
    mo.kind = "linear2";
    mo.width = 6;
    mo.init.scheme = init;
    mo.init.scale = 0.5;
    const SmallProblem p = make_problem("linear", 10, 4, mo, 3, 3);
    const auto& lin = dynamic_cast<const Linear2&>(*p.inst.model);
    const Objective obj = p.objective();
    const Mat D0 = lin.imbalance(p.inst.theta0);
    // D(0) vanishes for the balanced init, so measure against the weights' own size.
    const double scale = lin.W1(p.inst.theta0).squaredNorm() + lin.W2(p.inst.theta0).squaredNorm();
    IntegrateOptions o;
    o.rtol = 1e-10;
    o.atol = 1e-12;
    Vec theta = p.inst.theta0;
    double worst = 0;
    integrate(gradient_flow(obj), theta, 0.0, {0.0, 1.0, 3.0, 10.0}, o, [&](double, const Vec& x) {
      worst = std::max(worst, (lin.imbalance(x) - D0).norm());
      return true;
    });
    BOOST_TEST(worst <= 1e-8 * scale, init << ": |D(t) - D(0)| = " << worst << ", scale " << scale);
    BOOST_TEST(obj.value(theta) < 0.1 * obj.value(p.inst.theta0), "the run actually trains");
  }
}

BOOST_AUTO_TEST_CASE(one_gd_step_drifts_the_imbalance_by_the_exact_formula) {
  ModelOptions mo;
  mo.kind = "linear2";
  mo.width = 5;
  const SmallProblem p = make_problem("linear", 8, 4, mo, 9, 3);
  const auto& lin = dynamic_cast<const Linear2&>(*p.inst.model);
  const Objective obj = p.objective();
  const double eta = 0.02;
  Vec theta = p.inst.theta0;
  gradient_descent(obj, eta)(0, theta);
  const Mat W1 = lin.W1(p.inst.theta0), W2 = lin.W2(p.inst.theta0), X = p.data.X;
  const Mat E = p.data.Y - X * W1 * W2;
  // D⁺ = D + η²(W2 EᵀX XᵀE W2ᵀ − W1ᵀXᵀE EᵀX W1).
  const Mat drift = eta * eta * (W2 * E.transpose() * X * X.transpose() * E * W2.transpose() -
                                 W1.transpose() * X.transpose() * E * E.transpose() * X * W1);
  const Mat measured = lin.imbalance(theta) - lin.imbalance(p.inst.theta0);
  BOOST_TEST(drift.norm() > 1e-6 * lin.imbalance(p.inst.theta0).norm(), "the drift stands well above rounding");
  BOOST_TEST((measured - drift).norm() <= 1e-9 * drift.norm(), "relative error " << (measured - drift).norm() / drift.norm());
}

BOOST_AUTO_TEST_CASE(relu_two_layer_balance_is_conserved_by_gradient_flow) {
  // a_k² − ‖w_k‖² is constant along the flow (σ'(z)z = σ(z)); the plain stepper finishes
  // on this tiny network, and the law holds across the switches to integration accuracy.
  ModelOptions mo;
  mo.kind = "two_layer";
  mo.width = 4;
  const SmallProblem p = make_problem("sphere", 5, 3, mo, 21);
  const Objective obj = p.objective();
  const Model& m = *p.inst.model;
  IntegrateOptions o;
  o.rtol = 1e-9;
  o.atol = 1e-11;
  Vec theta = p.inst.theta0;
  std::vector<double> diag(m.diagnostic_columns().size());
  double worst = 0, change = 0;
  integrate(gradient_flow(obj), theta, 0.0, {0.0, 0.5, 1.0, 2.0}, o, [&](double, const Vec& x) {
    m.diagnostics(x, p.inst.theta0, diag);
    worst = std::max(worst, diag[2]);
    change = std::max(change, diag[1]);
    return true;
  });
  BOOST_REQUIRE(m.diagnostic_columns()[2] == "balance");
  BOOST_TEST(change > 1e-2, "the weights move");
  BOOST_TEST(worst <= 1e-6, "max drift of a_k^2 - |w_k|^2 is " << worst);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
