// The adaptive driver against closed forms: one-layer least squares for every stepper,
// samples exactly at requested times, step budget, loss monotone along gradient flow.
#include <boost/test/unit_test.hpp>

#include <csignal>

#include "gradflow/core/interrupt.hpp"
#include "support.hpp"

using namespace gradflow;
using namespace gradflow::test;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {


BOOST_AUTO_TEST_SUITE(integrator)

BOOST_AUTO_TEST_CASE(least_squares_closed_form_for_every_stepper) {
  Rng rng(2);
  const Mat X = rng.normal(12, 5);
  const Vec y = rng.normal(12, 1);
  LeastSquares model(X);
  const Objective obj(model, y, Reduction::sum);
  const Vec theta0 = rng.normal(5, 1);
  // θ(t) − θ* = e^{−XᵀX t}(θ0 − θ*), θ* the least-squares solution.
  const Vec theta_star = X.colPivHouseholderQr().solve(y);
  Eigen::SelfAdjointEigenSolver<Mat> eig(X.transpose() * X);
  auto exact = [&](double t) -> Vec {
    const Vec decay = (-eig.eigenvalues() * t).array().exp();
    return theta_star + eig.eigenvectors() * decay.asDiagonal() * eig.eigenvectors().transpose() * (theta0 - theta_star);
  };
  const std::vector<double> times{0.0, 0.05, 0.1, 0.3, 0.7, 1.0, 2.0};
  for (const auto& stepper : stepper_names()) {
    for (const double tol : {1e-6, 1e-9}) {
      IntegrateOptions o;
      o.stepper = stepper;
      o.rtol = tol;
      o.atol = tol;
      Vec theta = theta0;
      std::vector<double> seen;
      double worst = 0;
      const Outcome out = integrate(gradient_flow(obj), theta, 0.0, times, o, [&](double t, const Vec& x) {
        seen.push_back(t);
        const Vec ex = exact(t);
        worst = std::max(worst, (x - ex).cwiseAbs().cwiseQuotient((tol * ex.cwiseAbs()).array().max(tol).matrix()).maxCoeff());
        return true;
      });
      BOOST_TEST(out.status == Status::completed);
      BOOST_TEST(seen == times, "samples land exactly on the requested times");
      BOOST_TEST(worst <= 10.0, stepper << " at tol " << tol << ": error is " << worst << "x the tolerance");
      BOOST_TEST(out.counters.rhs_evals > 0);
      BOOST_TEST(out.counters.steps_accepted > 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(step_budget_ends_with_a_message) {
  Rng rng(2);
  LeastSquares model(rng.normal(6, 3));
  const Objective obj(model, rng.normal(6, 1), Reduction::sum);
  Vec theta = Vec::Ones(3);
  IntegrateOptions o;
  o.max_steps = 5;
  o.rtol = 1e-12;
  o.atol = 1e-12;
  const Outcome out = integrate(gradient_flow(obj), theta, 0.0, {0.0, 100.0}, o, [](double, const Vec&) { return true; });
  BOOST_TEST(out.status == Status::step_budget);
  BOOST_TEST(out.message.find("step budget") != std::string::npos);
  BOOST_TEST(out.counters.steps_accepted + out.counters.steps_rejected == 5);
}

BOOST_AUTO_TEST_CASE(loss_does_not_increase_along_gradient_flow) {
  ModelOptions mo;
  mo.kind = "two_layer";
  mo.width = 40;
  mo.activation = "tanh";
  const SmallProblem p = make_problem("sphere", 15, 4, mo);
  const Objective obj = p.objective();
  Vec theta = p.inst.theta0;
  std::vector<double> times;
  for (int i = 0; i <= 200; ++i) times.push_back(0.05 * i);
  double last = obj.value(theta);
  bool monotone = true;
  IntegrateOptions o;
  o.rtol = 1e-9;
  o.atol = 1e-12;
  integrate(gradient_flow(obj), theta, 0.0, times, o, [&](double, const Vec& x) {
    const double l = obj.value(x);
    monotone = monotone && l <= last * (1 + 1e-10);
    last = l;
    return true;
  });
  BOOST_TEST(monotone);
  BOOST_TEST(last < 0.5 * obj.value(p.inst.theta0), "the flow makes progress");
}

BOOST_AUTO_TEST_CASE(observer_can_stop_the_run) {
  Rng rng(4);
  LeastSquares model(rng.normal(6, 3));
  const Objective obj(model, rng.normal(6, 1), Reduction::sum);
  Vec theta = Vec::Zero(3);
  int calls = 0;
  const Outcome out = integrate(gradient_flow(obj), theta, 0.0, {0.0, 1.0, 2.0, 3.0}, IntegrateOptions{},
                                [&](double, const Vec&) { return ++calls < 2; });
  BOOST_TEST(calls == 2);
  BOOST_TEST(out.t == 1.0);
}

// A signal between two samples stops the integrator at its next step, not at the next sample
// (a slow ReLU flow can spend minutes between samples). The samples before it stand.
BOOST_AUTO_TEST_CASE(a_signal_between_samples_stops_at_the_next_step) {
  long evals = 0, signal_at = -1;  // armed by the sample at t = 1: 30 evaluations later
  const System decay = [&](const Vec& x, Vec& dxdt, double) {
    if (++evals == signal_at) request_interrupt(SIGTERM);
    dxdt = -x;
  };
  Vec x = Vec::Ones(2);
  IntegrateOptions o;
  o.rtol = 1e-12;
  o.atol = 1e-14;
  std::vector<double> seen;
  const Outcome out = integrate(decay, x, 0.0, {0.0, 1.0, 100.0}, o, [&](double t, const Vec&) {
    seen.push_back(t);
    if (t == 1.0) signal_at = evals + 30;
    return true;
  });
  request_interrupt(0);
  BOOST_TEST(out.status == Status::interrupted);
  BOOST_TEST(out.message.find("SIGTERM") != std::string::npos);
  BOOST_TEST(seen == std::vector<double>({0.0, 1.0}));
  BOOST_TEST(out.t > 1.0);
  BOOST_TEST(out.t < 100.0);
  BOOST_TEST(evals < signal_at + 14);  // within two steps of the signal (7 evaluations each)
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
