// The proof that the architecture is open: a model kind and a method kind defined here, not
// in lib/, register themselves and run through the experiment runner, compare, the CSV
// writer, the figures and `keys`, with no edit to any of them.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <unistd.h>

#include "gradflow/gradflow.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

/// The suite's least squares f = Xθ, with a column of its own: ‖θ‖.
class ToyLinear final : public test::LeastSquares {
 public:
  using LeastSquares::LeastSquares;
  std::string kind() const override { return "toy_linear"; }
  std::vector<std::string> diagnostic_columns() const override { return {"theta_norm"}; }
  void diagnostics(const Vec& theta, const Vec&, std::span<double> out) const override { out[0] = theta.norm(); }
};

const Registration<ModelKind> toy_linear{{
    .name = "toy_linear",
    .summary = "a test's least-squares model f = X theta",
    .keys = {{"init_scale", KeyType::number, 1.0, "theta0 ~ N(0, init_scale^2)"}},
    .build =
        [](const Params& p, const Dataset& data, Rng& rng) {
          Vec theta0 = rng.normal(data.d(), 1, p.number("init_scale"));
          return ModelInstance{std::make_unique<ToyLinear>(data.X), theta0};
        },
}};

/// θ̇ = −s∇L: gradient flow at speed s.
const Registration<MethodKind> toy_flow{{
    .name = "toy_flow",
    .summary = "a test's gradient flow at speed s",
    .space = Space::weights,
    .keys = {{"speed", KeyType::number, 1.0, "s"}},
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double s = ctx.spec().params.number("speed");
          ctx.resolved["speed"] = s;
          return [s](MethodContext& c) {
            const Objective& objective = c.problem().objective();
            c.flow_on_weights([&objective, s, g = Vec()](const Vec& x, Vec& dx, double) mutable {
              objective.value_gradient(x, g);
              dx = -s * g;
            }, false);
          };
        },
}};

/// θ ← θ − sη∇L on t = kη: the discrete twin of toy_flow.
const Registration<MethodKind> toy_gd{{
    .name = "toy_gd",
    .summary = "a test's gradient descent at speed s",
    .space = Space::discrete,
    .twins = {"toy_flow"},
    .time_unit = [](double eta) { return eta; },
    .stability_limit = [](const MethodContext& ctx, double, double lmax) { return 2.0 / (ctx.spec().params.number("speed") * lmax); },
    .keys = {{"eta", KeyType::number, 0.01, "step size"}, {"speed", KeyType::number, 1.0, "s"}},
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double step = ctx.spec().params.number("speed") * ctx.spec().eta();
          return [step](MethodContext& c) {
            c.iterate_on_weights(gradient_descent(c.problem().objective(), step), c.spec().eta(), false);
          };
        },
}};

const char* const toy_experiment = R"(
seed = 3
[data]
kind = "gaussian"
n = 6
d = 4
[model]
kind = "toy_linear"
init_scale = 0.5
[run]
t_end = 2.0
samples = 21
rtol = 1e-11
atol = 1e-13
[[methods]]
kind = "toy_flow"
speed = 2.0
[[methods]]
kind = "toy_gd"
eta = 0.01
speed = 2.0
)";

Experiment toy() {
  Config c = Config::parse(toy_experiment, "toy");
  return parse_experiment(c);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry)

BOOST_AUTO_TEST_CASE(toy_kinds_run_through_the_runner_with_their_columns_written_and_plotted) {
  const Experiment e = toy();
  const fs::path dir = fs::temp_directory_path() / ("gradflow_registry_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  CsvSink csv(dir.string());
  const RunResult r = run_experiment(e, {&csv});
  BOOST_REQUIRE(r.methods.size() == 2u);
  for (const auto& m : r.methods) BOOST_TEST(to_string(m.outcome.status) == "completed", m.spec.name);

  // Closed form on the linear model: Δ(t) = e^{−sHt}Δ0 with H = XXᵀ.
  const Problem p(e);
  const Eigen::SelfAdjointEigenSolver<Mat> es(*p.H0());
  const auto& flow = r.methods[0];
  const auto t = flow.table.values("t"), loss = flow.table.values("loss");
  for (std::size_t i = 0; i < t.size(); ++i) {
    const Vec modes = es.eigenvectors().transpose() * p.delta0();
    const Vec decayed = (-2.0 * t[i] * es.eigenvalues().array()).exp() * modes.array();
    const double exact = 0.5 * decayed.squaredNorm();
    BOOST_TEST(std::abs(loss[i] - exact) <= 1e-8 * p.loss0(), "t = " << t[i] << ": " << loss[i] << " vs " << exact);
  }
  BOOST_TEST(flow.resolved.at("speed") == 2.0);

  // The model's own column is written for both methods, from θ0.
  const Table written = read_csv_table((dir / "toy_gd.csv").string());
  BOOST_REQUIRE(written.column("theta_norm") > 0);
  BOOST_TEST(written.values("theta_norm").front() == p.theta0().norm(), boost::test_tools::tolerance(1e-9));

  // The discrete method takes its twin's colour and is drawn; run.json names the kinds.
  std::ofstream(dir / "run.json") << run_report(e, r).dump(2);
  if (gnuplot_available()) {
    const std::string errors = render_run_figures(dir.string());
    // H of a linear model is constant, so gnuplot may warn about λ_min's flat range; no errors.
    BOOST_TEST(errors.find("rror") == std::string::npos, errors);
    BOOST_TEST(fs::exists(dir / "loss.png"));
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(toy_discrete_method_is_compared_with_its_twin_at_order_one) {
  CompareOptions o;
  o.etas = {0.002, 0.001, 0.0005};
  o.horizon = 1.0;
  const CompareResult r = run_compare(toy(), o);
  BOOST_REQUIRE(r.rows.size() == 3u);
  BOOST_TEST(r.rows[0].method == "toy_gd_vs_toy_flow");
  // GD at speed s follows its flow to O(η): the deviation halves with η.
  BOOST_TEST(r.slopes.at("toy_gd_vs_toy_flow").first == 1.0, boost::test_tools::tolerance(0.05));
  BOOST_TEST(r.rows[0].stability_limit == 2.0 / (2.0 * r.hessian_lambda_max), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(toy_keys_are_documented_and_checked) {
  BOOST_TEST(keys_text("toy_flow").find("speed") != std::string::npos);
  BOOST_TEST(keys_markdown().find("#### `toy_linear`") != std::string::npos);
  Config c = Config::parse(std::string(toy_experiment) + "spead = 1.0\n", "toy");
  BOOST_CHECK_THROW(parse_experiment(c), input_error);  // a misspelt key is an error for a new kind too
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
