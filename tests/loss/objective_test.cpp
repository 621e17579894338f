// The ℓp loss L = (c/p) Σ|f − y|^p (issue 13, "Losses"): its gradient against central
// differences, p = 2 against the squared loss bit for bit, the error dynamics
// Δ̇ = −H∇_f ℓ(Δ) against the weight flow's residuals, and the refusals of what exists only
// for the squared loss.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "gradflow/experiment/problem.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace gradflow;

namespace {

ModelOptions lp_tanh_options() {
  ModelOptions o;
  o.kind = "two_layer";
  o.width = 5;
  o.activation = "tanh";
  return o;
}

LossSpec lp_loss(double p) { return make_loss_spec("lp", true, p); }

/// The loss written out from its definition, (c/p) Σ|Δ_i|^p, independently of Objective.
double lp_by_definition(const Vec& delta, double c, double p) {
  double s = 0.0;
  for (Index i = 0; i < delta.size(); ++i) s += std::pow(std::abs(delta(i)), p);
  return c / p * s;
}

fs::path lp_scratch() {
  static const fs::path dir = fs::temp_directory_path() / ("gradflow_lp_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

struct LpExit {
  int code;
  std::string err;
};

LpExit lp_cli(const std::string& args) {
  const fs::path err = lp_scratch() / "stderr.txt";
  const std::string cmd = std::string(GRADFLOW_CLI) + " " + args + " > /dev/null 2> " + err.string();
  const int status = std::system(cmd.c_str());
  std::ifstream in(err);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

/// Exit 2, exactly one line on stderr holding every one of `names`, and no output folder.
void lp_refused(const std::string& args, const std::string& out, const std::vector<std::string>& names) {
  fs::remove_all(out);
  fs::remove_all(out + ".partial");
  const LpExit r = lp_cli(args + " --out " + out);
  BOOST_TEST(r.code == 2, args << " -> exit " << r.code << ": " << r.err);
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "one line: " << r.err);
  for (const auto& name : names) BOOST_TEST(r.err.find(name) != std::string::npos, "'" << r.err << "' names " << name);
  BOOST_TEST(!fs::exists(out), out << " was written");
  BOOST_TEST(!fs::exists(out + ".partial"), out << ".partial was written");
}

// A linear model f = XW with d > n: H = XXᵀ is constant and of full rank, so the frozen-kernel
// error dynamics are exact and Δ → 0.
const std::string lp_linear_toml = R"(
seed = 5
[data]
kind = "gaussian"
n = 6
d = 8
[model]
kind = "linear"
init_scale = 0.5
[loss]
kind = "lp"
p = 4
[run]
t_end = 4.0
samples = 21
rtol = 1e-10
atol = 1e-12
[[methods]]
kind = "gf"
[[methods]]
kind = "error_gf"
[[methods]]
kind = "error_gf"
kernel = "coupled"
[[methods]]
kind = "hbf"
damping = 1.5
[[methods]]
kind = "error_hbf"
damping = 1.5
)";

/// The same experiment with the default squared loss.
std::string lp_squared_toml() {
  std::string text = lp_linear_toml;
  const std::string lp = "kind = \"lp\"\np = 4\n";
  text.replace(text.find(lp), lp.size(), "kind = \"squared\"\n");
  return text;
}

Experiment lp_experiment(const std::string& text, const std::vector<std::string>& sets = {}) {
  Config c = Config::parse(text, "objective test");
  for (const auto& s : sets) c.set(s);
  return parse_experiment(c);
}

std::string lp_file(const std::string& name, const std::string& text) {
  const fs::path p = lp_scratch() / name;
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(objective)

// ∇L = Jᵀ c sign(Δ)|Δ|^{p−1} against central differences of L (step 1e-6: truncation
// O(h²) ≈ 1e-12 and rounding ≈ 1e-16·L/h ≈ 1e-10 relative, far below the tolerance 1e-6).
BOOST_AUTO_TEST_CASE(lp_gradient_matches_central_differences) {
  const test::SmallProblem q = test::make_problem("gaussian", 6, 3, lp_tanh_options(), 13);
  const Vec& theta = q.inst.theta0;
  for (const double p : {3.0, 4.0, 2.5}) {
    for (const Reduction r : {Reduction::sum, Reduction::mean}) {
      const Objective obj(*q.inst.model, q.data.Y, r, lp_loss(p));
      Vec g;
      const double value = obj.value_gradient(theta, g);
      const Vec fd = test::fd_gradient(obj, theta);
      BOOST_TEST_INFO("p = " << p << ", " << to_string(r));
      BOOST_TEST((g - fd).norm() <= 1e-6 * fd.norm(), "|g - fd| = " << (g - fd).norm() << ", |fd| = " << fd.norm());
      BOOST_TEST(fd.norm() > 1e-3);  // a gradient to compare, not two zeros
      const Vec delta = obj.residual(theta);
      BOOST_TEST(value == lp_by_definition(delta, obj.scale(), p), boost::test_tools::tolerance(1e-12));
      BOOST_TEST(obj.value(theta) == value);
      // ∇_f ℓ against central differences of ℓ in Δ itself.
      const Vec dl = obj.loss_derivative(delta);
      Vec dp = delta;
      for (Index i = 0; i < delta.size(); ++i) {
        const double h = 1e-6;
        dp(i) = delta(i) + h;
        const double up = obj.loss_of_residual(dp);
        dp(i) = delta(i) - h;
        const double down = obj.loss_of_residual(dp);
        dp(i) = delta(i);
        // Rounding of the difference quotient is ≈ 1e-16·ℓ/h ≈ 1e-10 absolute, hence 1e-6·(1 + |·|).
        const double fd_i = (up - down) / (2 * h);
        BOOST_TEST(std::abs(dl(i) - fd_i) <= 1e-6 * (1.0 + std::abs(fd_i)), "dl " << dl(i) << " vs fd " << fd_i);
      }
      // K·(∇_f ℓ/c) is H∇_f ℓ when K = cH carries c.
      BOOST_TEST((obj.scale() * obj.unscaled_loss_derivative(delta) - dl).norm() <= 1e-15 * dl.norm());
    }
  }
}

// For p = 2 the lp loss takes today's squared path: equal with ==, loss and gradient,
// and both equal today's formulas ½c‖Δ‖² and the model's fused Jᵀ cΔ.
BOOST_AUTO_TEST_CASE(lp_with_p2_equals_squared_bit_for_bit) {
  const test::SmallProblem q = test::make_problem("gaussian", 7, 3, lp_tanh_options(), 17);
  const Vec theta = q.inst.theta0 + 0.1 * Vec::Ones(q.inst.theta0.size());
  for (const Reduction r : {Reduction::sum, Reduction::mean}) {
    const Objective squared(*q.inst.model, q.data.Y, r, make_loss_spec("squared", false, 2.0));
    const Objective lp(*q.inst.model, q.data.Y, r, lp_loss(2.0));
    BOOST_TEST(!lp.loss().squared());
    Vec gs, gl;
    const double ls = squared.value_gradient(theta, gs), ll = lp.value_gradient(theta, gl);
    BOOST_TEST(ls == ll);
    BOOST_TEST((gs.array() == gl.array()).all());
    BOOST_TEST(squared.value(theta) == lp.value(theta));
    const Vec delta = squared.residual(theta);
    BOOST_TEST((squared.loss_derivative(delta).array() == lp.loss_derivative(delta).array()).all());
    // What the squared loss computed before the lp loss existed.
    Vec f, g_today;
    q.inst.model->residual_gradient(theta, squared.targets(), squared.scale(), f, g_today);
    BOOST_TEST(ls == 0.5 * squared.scale() * (f - squared.targets()).squaredNorm());
    BOOST_TEST((gs.array() == g_today.array()).all());
  }
}

// Linear model, p = 4: Δ̇ = −H∇_f ℓ(Δ) (frozen and coupled kernels) and the heavy-ball
// Δ̈ + aΔ̇ + H∇_f ℓ(Δ) = 0 are exact, so they follow the weight flows' residuals to the
// integrators' tolerance (rtol 1e-10): error_gap ≤ 1e-6 ‖Δ0‖ at every sample.
BOOST_AUTO_TEST_CASE(lp_error_flow_matches_weight_flow_residuals) {
  const Experiment e = lp_experiment(lp_linear_toml);
  const RunResult r = run_experiment(e, {});
  BOOST_TEST_REQUIRE(r.methods.size() == 5u);
  const double loss0 = r.loss0;
  const Problem problem(e);
  const double delta0 = problem.delta0().norm();
  BOOST_TEST(loss0 == lp_by_definition(problem.delta0(), 1.0, 4.0), boost::test_tools::tolerance(1e-12));
  for (const auto& m : r.methods) {
    BOOST_TEST_INFO(m.spec.name);
    BOOST_TEST(m.outcome.status == Status::completed);
    BOOST_TEST(m.table.rows.size() == 21u);
    // The loss column is the ℓ4 loss and it falls (the flow moved: the gap is not trivially small).
    BOOST_TEST(m.final_value("loss") < 0.5 * loss0);
    // The Lyapunov columns exist only for the squared loss.
    BOOST_TEST(m.table.column("pseudo_loss") == -1);
    BOOST_TEST(m.table.column("bound") == -1);
    if (m.spec.descriptor().space != Space::error) continue;
    const auto gap = m.table.values("error_gap");
    BOOST_TEST_REQUIRE(gap.size() == 21u);
    for (const double v : gap) BOOST_TEST(v <= 1e-6 * delta0, "error_gap " << v << " vs |Delta0| " << delta0);
  }
  // The same problem under the squared loss moves the weights elsewhere: p = 4 was applied.
  const RunResult sq = run_experiment(lp_experiment(lp_squared_toml()), {});
  const double d_lp = r.methods[0].final_value("dist_init"), d_sq = sq.methods[0].final_value("dist_init");
  BOOST_TEST(std::abs(d_lp - d_sq) > 1e-3 * d_sq, "dist_init lp " << d_lp << " vs squared " << d_sq);
  BOOST_TEST(sq.methods[0].table.column("pseudo_loss") > 0);
}

// Bad loss keys and what exists only for the squared loss: one line naming the key, exit 2,
// nothing written. An lp run records loss.kind and loss.p.
BOOST_AUTO_TEST_CASE(lp_refusals_and_provenance) {
  const std::string toml = lp_file("lp.toml", lp_linear_toml);
  const std::string run = "run --no-live " + toml;
  const std::string out = (lp_scratch() / "out").string();
  lp_refused(run + " --set methods.2.kind=exact_gf", out, {"methods.2.kind", "exact_gf", "loss.kind", "p = 4"});
  lp_refused(run + " --set methods.5.kind=exact_hbf", out, {"methods.5.kind", "exact_hbf", "squared loss"});
  lp_refused(run + " --set methods.1.kind=gd_xu_fixed --set methods.1.eta=0.1", out, {"methods.1.kind", "gd_xu_fixed"});
  lp_refused("run " + toml + " --live pseudo_loss", out, {"--live", "pseudo_loss", "loss.kind"});
  lp_refused("run " + toml + " --live loss,siegel", out, {"--live", "siegel"});
  lp_refused(run + " --set loss.p=1.5", out, {"loss.p", ">= 2"});
  lp_refused(run + " --set loss.p=nan", out, {"loss.p", "finite"});
  lp_refused(run + " --set loss.p=inf", out, {"loss.p", "finite"});
  lp_refused(run + " --set loss.p='\"four\"'", out, {"loss.p"});
  lp_refused(run + " --set loss.kind=huber", out, {"loss.kind", "huber"});
  lp_refused(run + " --set loss.kind=squared", out, {"loss.p", "lp"});
  // The ReLU switching integrator assumes the squared loss; relu2 needs run.switching = off.
  const std::string relu = run + " --set model.kind=relu2 --set model.width=10 --set model.init_scale=1";
  lp_refused(relu, out, {"methods.gf.switching", "run.switching", "off"});
  // Accepted: the lp run records its loss.
  fs::remove_all(out);
  fs::remove_all(out + ".partial");
  const LpExit ok = lp_cli(run + " --out " + out);
  BOOST_TEST_REQUIRE(ok.code == 0, ok.err);
  std::ifstream in(fs::path(out) / "run.json");
  const auto j = nlohmann::json::parse(in);
  BOOST_TEST(j["loss_kind"] == "lp");
  BOOST_TEST(j["loss_p"] == 4.0);
  BOOST_TEST(j["config"]["loss"]["kind"] == "lp");
  BOOST_TEST(j["config"]["loss"]["p"] == 4.0);
  // The squared loss records its kind, p = 2, and no p in the configuration.
  const std::string sq_out = (lp_scratch() / "sq").string();
  fs::remove_all(sq_out);
  const LpExit sq = lp_cli("run --no-live " + lp_file("sq.toml", lp_squared_toml()) + " --out " + sq_out);
  BOOST_TEST_REQUIRE(sq.code == 0, sq.err);
  std::ifstream sq_in(fs::path(sq_out) / "run.json");
  const auto k = nlohmann::json::parse(sq_in);
  BOOST_TEST(k["loss_kind"] == "squared");
  BOOST_TEST(k["loss_p"] == 2.0);
  BOOST_TEST(k["config"]["loss"]["kind"] == "squared");
  BOOST_TEST(!k["config"]["loss"].contains("p"));
  fs::remove_all(lp_scratch());
}

BOOST_AUTO_TEST_SUITE_END()
