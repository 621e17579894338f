// own_main_flow: gradient flow of a two-layer ReLU net (Du et al.'s relu2) driven from your
// own main(), with the library's building blocks and no experiment file:
//
//   data      gradflow::make_dataset   n points on the unit sphere, Gaussian labels
//   model     gradflow::make_model     relu2 of width m, and its seeded θ0
//   loss      gradflow::Objective      L(θ) = ½‖f(θ) − y‖²
//   flow      gradflow::gradient_flow  θ̇ = −∇L(θ), an odeint system
//   solver    gradflow::integrate      adaptive dopri5, a callback at each sample time
//
// The ReLU field jumps wherever a unit switches on or off, so a plain adaptive stepper spends
// its steps on those kinks: a loose tolerance keeps it cheap here. For tight tolerances use
// gradflow::integrate_switching (integrate/switching.hpp), which locates the switches.
//
// Prints t and L(t); exits 1 if the loss did not decrease.
#include <cstdio>
#include <vector>

#include "gradflow/data/dataset.hpp"
#include "gradflow/flow/gradient_flow.hpp"
#include "gradflow/integrate/integrate.hpp"
#include "gradflow/loss/objective.hpp"
#include "gradflow/model/factory.hpp"

int main() {
  gradflow::Rng rng(1);

  gradflow::DataOptions data_options;
  data_options.kind = "sphere";
  data_options.n = 20;
  data_options.d = 10;
  const gradflow::Dataset data = gradflow::make_dataset(data_options, rng);

  gradflow::ModelOptions model_options;
  model_options.kind = "relu2";
  model_options.width = 200;
  const gradflow::ModelInstance net = gradflow::make_model(model_options, data, rng);

  const gradflow::Objective objective(*net.model, data.Y, gradflow::Reduction::sum);
  const gradflow::System flow = gradflow::gradient_flow(objective);

  std::vector<double> times;  // t = 0, 0.5, ..., 5
  for (int i = 0; i <= 10; ++i) times.push_back(0.5 * i);

  gradflow::IntegrateOptions options;  // dopri5
  options.rtol = 1e-3;
  options.atol = 1e-6;

  gradflow::Vec theta = net.theta0;  // integrated in place
  std::vector<double> losses;
  const gradflow::Outcome outcome =
      gradflow::integrate(flow, theta, 0.0, times, options, [&](double t, const gradflow::Vec& x) {
        losses.push_back(objective.value(x));
        std::printf("t = %4.1f   loss = %.6e\n", t, losses.back());
        return true;  // false would stop the integration here
      });

  std::printf("%s at t = %g after %ld gradient evaluations\n", gradflow::to_string(outcome.status).c_str(), outcome.t,
              outcome.counters.rhs_evals);
  const bool decreased = outcome.status == gradflow::Status::completed && losses.back() < losses.front();
  if (!decreased) std::fprintf(stderr, "own_main_flow: the loss did not decrease\n");
  return decreased ? 0 : 1;
}
