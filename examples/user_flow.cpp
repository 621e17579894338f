// user_flow: a method kind of your own, registered beside the built-in ones and then named by
// an experiment file like any of them (methods.N.kind = "scaled_gf").
//
// scaled_gf is gradient flow with a time scale s: θ̇ = −s∇L(θ), its `scale` key declared once
// (parsed, defaulted and documented by the library). Its prepare step records s and returns
// the run, which hands a System (a lambda on the problem's objective) to the context's
// first-order driver. The solution is gradient flow's at time s·t, which main() checks by
// running both on the same relu2 problem and comparing the losses. Both use the plain
// stepper (run.switching = "off"; gf would otherwise cross the ReLU switches with the switching
// integrator), so the difference measures the time change alone.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gradflow/core/error.hpp"
#include "gradflow/experiment/config.hpp"
#include "gradflow/experiment/experiment.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/experiment/run_report.hpp"
#include "gradflow/experiment/runner.hpp"
#include "gradflow/registry/method_kind.hpp"

namespace {

const gradflow::Registration<gradflow::MethodKind> scaled_gf{{
    .name = "scaled_gf",
    .summary = "gradient flow on the time scale s: theta' = -s grad L",
    .space = gradflow::Space::weights,
    .keys = {{"scale", gradflow::KeyType::number, 1.0, "time scale s > 0"}},
    .validate =
        [](const gradflow::Params& p, const std::string& prefix) {
          if (!(p.number("scale") > 0)) throw gradflow::input_error(prefix + "scale: must be positive");
        },
    .prepare =
        [](gradflow::MethodContext& ctx) -> gradflow::MethodRun {
          const double s = ctx.spec().params.number("scale");
          ctx.resolved["scale"] = s;  // recorded with the method's results
          return [s](gradflow::MethodContext& c) {
            const gradflow::Objective& objective = c.problem().objective();
            const gradflow::System field = [&objective, s](const gradflow::Vec& theta, gradflow::Vec& dtheta, double) {
              objective.value_gradient(theta, dtheta);
              dtheta *= -s;
            };
            // false: the field is not the plain −∇L, so the ReLU switching integrator does not apply.
            c.flow_on_weights(field, false);
          };
        },
}};

// Samples every 0.1 on [0, 4]: with s = 2, scaled_gf's row i (t = 0.1 i) meets gf's row 2i (t = 0.2 i).
const char* experiment_toml = R"(
seed = 1

[data]
kind = "sphere"
n = 20
d = 10

[model]
kind = "relu2"
width = 200

[run]
t_end = 4.0
samples = 41
rtol = 1e-4
atol = 1e-7
switching = "off"

[[methods]]
kind = "gf"

[[methods]]
kind = "scaled_gf"
scale = 2.0
)";

}  // namespace

int main() {
  gradflow::Config config = gradflow::Config::parse(experiment_toml, "user_flow");
  const gradflow::Experiment experiment = gradflow::parse_experiment(config);
  const gradflow::RunResult result = gradflow::run_experiment(experiment, {});
  std::printf("%s", gradflow::summary(experiment, result).c_str());

  const std::vector<double> gf = result.methods.at(0).table.values("loss");
  const std::vector<double> scaled = result.methods.at(1).table.values("loss");
  const double s = result.methods.at(1).resolved.at("scale");
  double worst = 0.0;
  for (std::size_t i = 0; i < scaled.size(); ++i) {
    const auto j = static_cast<std::size_t>(std::lround(s * static_cast<double>(i)));  // gf's row at time s·t
    if (j >= gf.size()) break;
    worst = std::max(worst, std::abs(scaled[i] - gf[j]) / gf[j]);
  }
  std::printf("max |L_scaled_gf(t) - L_gf(%g t)| / L_gf(%g t) = %.2e\n", s, s, worst);
  return worst < 1e-3 ? 0 : 1;  // within ten times run.rtol
}
