// Reproduction recipes: parse errors are input errors naming the key, the claim and metric
// mechanism on hand-made runs, and the recipes at their `tiny` size, whose key claims must hold
// there (bu2021, about 5 s, runs in tests/slow/recipe_slow_test.cpp).
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "gradflow/experiment/recipe.hpp"
#include "support.hpp"

using namespace gradflow;
namespace fs = std::filesystem;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("gradflow_recipe_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

ReproduceResult run_tiny(const std::string& name) {
  ReproduceOptions o;
  o.size = "tiny";
  o.out = scratch(name).string();
  o.figures = false;
  return reproduce(find_recipe(name), o);
}

/// The claim whose text starts with `prefix`; fails the test when there is none.
const ClaimResult& claim(const ReproduceResult& r, const std::string& prefix) {
  for (const auto& c : r.claims)
    if (c.claim.text.rfind(prefix, 0) == 0) return c;
  BOOST_FAIL("no claim starting with '" << prefix << "'");
  return r.claims.front();
}

void expect_pass(const ReproduceResult& r, const std::string& prefix) {
  const ClaimResult& c = claim(r, prefix);
  BOOST_TEST(c.pass, c.claim.text << ": " << c.measured);
}

// A minimal valid recipe: scalar linear2, GD at two step sizes.
const std::string kMinimal = R"(
title = "t"
paper = "p"
claim = "c"
[base]
[base.data]
kind = "scalar"
y = 2.0
[base.model]
kind = "scalar"
[base.run]
t_end = 5.0
samples = 11
[[base.methods]]
kind = "gd"
name = "gd"
eta = 0.1
[[variants]]
label = "small"
x = 0.1
set = []
[[variants]]
label = "large"
x = 0.4
set = ["methods.1.eta=0.4"]
)";

void expect_input_error(const std::string& text, const std::string& names) {
  try {
    (void)parse_recipe(text, "bad");
    BOOST_FAIL("no error for a recipe that should name " << names);
  } catch (const input_error& e) {
    BOOST_TEST(std::string(e.what()).find(names) != std::string::npos, e.what() << " names " << names);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recipe)

BOOST_AUTO_TEST_CASE(bad_recipes_are_input_errors) {
  BOOST_CHECK_NO_THROW((void)parse_recipe(kMinimal, "ok"));
  expect_input_error("title = ", "TOML");
  expect_input_error("title = \"t\"\npaper = \"p\"\nclaim = \"c\"\n", "base");
  expect_input_error(kMinimal + "[[claims]]\ntext = \"x\"\nkind = \"sometimes\"\n", "claims.0.kind");
  expect_input_error(kMinimal + "[[claims]]\ntext = \"x\"\nkind = \"trend\"\nmetric = \"final_loss@gd\"\n", "direction");
  expect_input_error(kMinimal + "[[claims]]\ntext = \"x\"\nkind = \"compare\"\nlhs = \"1\"\nop = \"<\"\nrhs = \"2\"\n"
                                "variants = [\"huge\"]\n", "huge");
  expect_input_error(kMinimal + "[sizes]\nmedium = []\n", "sizes.medium");
  // A variant whose override is not an experiment key fails at parse time, at every size.
  expect_input_error(kMinimal + "[[variants]]\nlabel = \"odd\"\nset = [\"model.colour=3\"]\n", "odd");
  std::string typo = kMinimal;
  typo.replace(typo.find("label = \"small\""), 15, "lable = \"small\"");
  expect_input_error(typo, "label");
  BOOST_CHECK_THROW((void)find_recipe("no_such_recipe"), input_error);
  BOOST_CHECK_THROW((void)find_recipe("../etc"), input_error);
  // Issue 17: nesting is refused before toml++ recurses into it (a stack overflow otherwise).
  std::string deep = "x = ";
  for (int i = 0; i < 50000; ++i) deep += "[";
  expect_input_error(deep, "nested deeper");
}

BOOST_AUTO_TEST_CASE(claims_and_metrics_on_a_scalar_problem) {
  // ½(2 − w1w2)² from w1 = w2 = ½ under GD: the larger stable step gets further in the same
  // number of iterations (t = kη, so compare at equal k via iterations_below), the loss is
  // monotone, and max_diff of a method with itself is 0.
  const std::string text = kMinimal + R"R(
[[claims]]
text = "larger step, fewer iterations to L < 0.5"
kind = "trend"
metric = "iterations_below(loss,0.5)@gd"
direction = "decreasing"
variants = ["small", "large"]
[[claims]]
text = "a level never reached orders after every reached one"
kind = "trend"
about_not_reaching = true
metric = "iterations_below(loss,0.5)@gd"
direction = "increasing"
variants = ["short", "large"]
[[claims]]
text = "two levels never reached cannot be ordered"
kind = "trend"
metric = "iterations_below(loss,1e-300)@gd"
direction = "decreasing"
variants = ["small", "large"]
[[claims]]
text = "loss monotone"
kind = "monotone"
method = "gd"
column = "loss"
[[claims]]
text = "max_diff with itself"
kind = "compare"
lhs = "max_diff(loss,gd)@gd"
op = "<="
rhs = "0"
[[claims]]
text = "a false claim"
kind = "compare"
lhs = "final_loss@gd"
op = ">"
rhs = "loss0"
[[tables]]
title = "iterations"
metric = "iterations_below(loss,0.5)"
[[variants]]
label = "short"
x = 0.1
set = ["run.t_end=0.2"]
)R";
  ReproduceOptions o;
  o.size = "default";
  o.out = scratch("scalar").string();
  o.figures = false;
  const Recipe r = parse_recipe(text, "scalar");
  const ReproduceResult res = reproduce(r, o);
  BOOST_REQUIRE(res.claims.size() == 6);
  BOOST_TEST(res.claims[0].pass, res.claims[0].measured);
  // By t = 0.2, L ≈ 1.2 > 0.5: "short" never reaches the level, a count above its run's.
  BOOST_TEST(res.claims[1].pass, res.claims[1].measured);
  BOOST_TEST(res.claims[1].measured.find("short: not reached") != std::string::npos, res.claims[1].measured);
  BOOST_TEST(!res.claims[2].pass, res.claims[2].measured);
  BOOST_TEST(res.claims[3].pass, res.claims[3].measured);
  BOOST_TEST(res.claims[4].pass, res.claims[4].measured);
  BOOST_TEST(!res.claims[5].pass, res.claims[5].measured);
  BOOST_TEST(!res.all_pass());
  // L(0) = ½(2 − ¼)² = 1.53125; per step the residual shrinks by at most (1 − η(w1² + w2²)).
  const auto& rows = res.summary["tables"][0]["rows"];
  const double k_small = rows["small"]["gd"].get<double>(), k_large = rows["large"]["gd"].get<double>();
  BOOST_TEST(k_large < k_small);
  BOOST_TEST(k_large >= 1);
  BOOST_TEST(rows["short"]["gd"].is_null());
  BOOST_TEST(fs::exists(fs::path(o.out) / "report.md"));
  BOOST_TEST(fs::exists(fs::path(o.out) / "summary.csv"));
  BOOST_TEST(fs::exists(fs::path(o.out) / "small" / "gd.csv"));
}

BOOST_AUTO_TEST_CASE(all_recipes_are_listed_and_parse) {
  const auto list = list_recipes();
  std::vector<std::string> names;
  for (const auto& [n, title] : list) {
    names.push_back(n);
    BOOST_TEST(!title.empty());
    BOOST_TEST(title.find("invalid") == std::string::npos, n << ": " << title);
    BOOST_CHECK_NO_THROW((void)find_recipe(n));  // every variant is a valid experiment at every size
  }
  for (const char* want : {"bu2021", "digits", "du2019", "lazy", "sbc2014", "xu2023", "xu2023_init"})
    BOOST_TEST((std::find(names.begin(), names.end(), want) != names.end()), want << " is listed");
}

BOOST_AUTO_TEST_CASE(sbc2014_tiny) {
  const auto r = run_tiny("sbc2014");
  expect_pass(r, "max over t of |f(x_k) - f(X(k sqrt(s)))| decreases");  // iterates → ODE as s → 0
  expect_pass(r, "the integrated ODE matches the Bessel closed form");
  expect_pass(r, "f(X(t)) - f* <= 2 ||x0 - x*||^2 / t^2");
}

BOOST_AUTO_TEST_CASE(lazy_tiny) {
  const auto r = run_tiny("lazy");
  expect_pass(r, "the distance between the loss curves");  // → 0 as α grows
  expect_pass(r, "the relative change of the tangent kernel");
  expect_pass(r, "at alpha = 0.25 the training is not lazy");
}

BOOST_AUTO_TEST_CASE(xu2023_tiny) {
  const auto r = run_tiny("xu2023");
  expect_pass(r, "alpha0 (lower bound on lambda_min(tau)) increases with sigma");
  expect_pass(r, "the guaranteed rate f(eta*, 0) decreases");
  expect_pass(r, "GD with eta* stays below f(eta*, 0)^t L(0)");  // the theorem itself
  expect_pass(r, "f(eta*, 0) < 1");
}

BOOST_AUTO_TEST_CASE(du2019_tiny) {
  const auto r = run_tiny("du2019");
  expect_pass(r, "final loss of gf decreases with the width");  // wider converges faster
  expect_pass(r, "max over t of pattern_change of gf decreases with the width");
  expect_pass(r, "max over t of max_r ||w_r(t) - w_r(0)|| of gf decreases with the width");
  expect_pass(r, "|lambda_min(H(theta0)) - lambda0| shrinks with the width");
}

BOOST_AUTO_TEST_CASE(xu2023_init_tiny) {
  const auto r = run_tiny("xu2023_init");
  BOOST_REQUIRE(r.summary.contains("tables"));
  // With η = 1/σ²_max(X) the one-layer model reaches L* + 1e-8 within the budget for every
  // initialiser (its excess loss contracts by at least (1 − μ/K) per step).
  int checked = 0;
  for (const auto& [variant, methods] : r.summary["tables"][0]["rows"].items())
    if (variant.find("/non") != std::string::npos) {
      BOOST_TEST(!methods["fixed"].is_null(), variant << " reaches L* + 1e-8");
      ++checked;
    }
  BOOST_TEST(checked == 5);
}

BOOST_AUTO_TEST_CASE(digits_tiny) {
  // relu2 at n = 20, widths 50 and 400 (2.5 s): every claim holds at this size too.
  const auto r = run_tiny("digits");
  expect_pass(r, "HBF decays faster than GF");
  expect_pass(r, "GD (eta = 0.05) ends within a factor 2 of GF");
  expect_pass(r, "the tangent kernel moves less in the wider net");
  expect_pass(r, "GF's fitted rate >= lambda_min(H(theta0))");
}

BOOST_AUTO_TEST_CASE(arora2018_tiny) {
  // What Theorem 1 makes exact from a balanced start: the product does not see the width (GD on
  // widths 11 and 100 ends at the same loss), and update (10) tracks GD on the
  // factors; a depth-8 net started near zero does not move. The speed claims are measurements.
  const auto r = run_tiny("arora2018");
  for (const char* loss : {"l2", "l4"}) {
    const std::string l = loss;
    expect_pass(r, l + ": final losses of update (10) and the depth-3 net agree");
    expect_pass(r, l + ": width 100 ends where width 11 does");
    expect_pass(r, l + ": depth 8 from near zero");
  }
}

BOOST_AUTO_TEST_CASE(du2018deep_tiny) {
  // Relative distances of an m×m layer scale like 1/m: at widths 8, 16, 32 the trend is already
  // clear in every group; the kernel statements need the default widths (32 to 512; ReLU, whose flows slide, 32 to 128).
  const auto r = run_tiny("du2018deep");
  BOOST_TEST(r.claims.size() == 12u);
  for (const char* group : {"relu, L = 3", "relu, L = 5", "tanh, L = 3", "tanh, L = 5"})
    expect_pass(r, std::string(group) + ": the relative distance of W_2");
}

BOOST_AUTO_TEST_CASE(arora2018_warmup_tiny) {
  // The gap to the adaptive update is exactly η²(∂L/∂w2) w2 ∇L(w): order 2 to rounding.
  const auto r = run_tiny("arora2018_warmup");
  BOOST_TEST(r.claims.size() == 3u);
  for (const auto& c : r.claims) BOOST_TEST(c.pass, c.claim.text << ": " << c.measured);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
