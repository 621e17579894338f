// bu2021 at its `tiny` size (about 5 s: eight methods, event-aware ReLU flows): the claims that
// must hold even there, "HBF beats GF in rate" and the Lyapunov statements. Label: slow.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "gradflow/experiment/recipe.hpp"
#include "../support.hpp"

using namespace gradflow;
namespace fs = std::filesystem;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

ReproduceResult run_tiny(const std::string& name) {
  ReproduceOptions o;
  o.size = "tiny";
  o.out = (fs::temp_directory_path() / ("gradflow_recipe_slow_" + std::to_string(::getpid())) / name).string();
  fs::remove_all(o.out);
  o.figures = false;
  return reproduce(find_recipe(name), o);
}

void expect_pass(const ReproduceResult& r, const std::string& prefix) {
  for (const auto& c : r.claims)
    if (c.claim.text.rfind(prefix, 0) == 0) {
      BOOST_TEST(c.pass, c.claim.text << ": " << c.measured);
      return;
    }
  BOOST_FAIL("no claim starting with '" << prefix << "'");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recipe_slow)

BOOST_AUTO_TEST_CASE(bu2021_tiny) {
  const auto r = run_tiny("bu2021");
  expect_pass(r, "HBF decays faster than GF");  // HBF beats GF in rate
  expect_pass(r, "HBF loss below its bound");
  expect_pass(r, "Siegel's V along HBF is non-increasing");
  expect_pass(r, "Su's V with alpha = 14/3 > 2 (gamma = 7) is NOT monotone");
  expect_pass(r, "the corrected energy V~ (gamma = 7) is non-increasing from t* on");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
