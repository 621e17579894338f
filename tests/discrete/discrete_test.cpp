// GD is explicit Euler on the gradient flow: first-order convergence on a fixed horizon.
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace gradflow;
using namespace gradflow::test;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

BOOST_AUTO_TEST_SUITE(discrete)

BOOST_AUTO_TEST_CASE(gd_converges_to_gradient_flow_at_order_one) {
  ModelOptions mo;
  mo.kind = "two_layer";
  mo.width = 20;
  mo.activation = "tanh";
  const SmallProblem p = make_problem("sphere", 10, 3, mo, 5);
  const Objective obj = p.objective();
  const double horizon = 2.0;
  std::vector<double> etas, devs;
  for (const double eta : {0.04, 0.02, 0.01, 0.005}) {
    const long K = std::lround(horizon / eta);
    std::vector<long> ks;
    std::vector<double> times;
    for (long k = 0; k <= K; ++k) {
      ks.push_back(k);
      times.push_back(static_cast<double>(k) * eta);
    }
    std::vector<Vec> flow;
    Vec theta = p.inst.theta0;
    IntegrateOptions o;
    o.rtol = 1e-11;
    o.atol = 1e-12;
    integrate(gradient_flow(obj), theta, 0.0, times, o, [&](double, const Vec& x) {
      flow.push_back(x);
      return true;
    });
    double dev = 0;
    theta = p.inst.theta0;
    iterate(gradient_descent(obj, eta), theta, ks, [&](long k, const Vec& x) {
      dev = std::max(dev, (x - flow[static_cast<std::size_t>(k)]).norm());
      return true;
    });
    etas.push_back(eta);
    devs.push_back(dev);
  }
  const double order = loglog_slope(etas, devs);
  BOOST_TEST_MESSAGE("GD vs GF deviations " << devs[0] << " ... " << devs[3] << ", fitted order " << order);
  BOOST_TEST(std::abs(order - 1.0) <= 0.2);
}

BOOST_AUTO_TEST_CASE(gd_past_two_over_lambda_max_is_reported_diverged) {
  Rng rng(1);
  ModelOptions mo;
  mo.kind = "linear2";
  mo.width = 3;
  const SmallProblem p = make_problem("linear", 6, 3, mo);
  const Objective obj = p.objective();
  Vec theta = p.inst.theta0;
  std::vector<long> ks;
  for (long k = 0; k <= 2000; k += 10) ks.push_back(k);
  const Outcome out = iterate(gradient_descent(obj, 50.0), theta, ks, [](long, const Vec&) { return true; });
  BOOST_TEST(out.status == Status::diverged);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
