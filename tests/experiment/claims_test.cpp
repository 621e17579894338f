// The verdict rules of recipe claims on synthetic values (recipe.hpp, "Verdicts"): a censored
// value ("not reached") never passes a claim unless the claim is about not reaching a level, a
// trend step must exceed the seed-to-seed spread sqrt(s_a² + s_b²), and the means decide FAIL.
#include <boost/test/unit_test.hpp>

#include <limits>
#include <ostream>

#include "gradflow/experiment/recipe.hpp"

// Found by argument-dependent lookup, so it lives in Verdict's namespace.
namespace gradflow {
std::ostream& operator<<(std::ostream& os, Verdict v) { return os << to_string(v); }
}  // namespace gradflow

using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
ClaimValue val(double mean, double spread = 0.0) { return {mean, spread, mean == inf}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(claims)

BOOST_AUTO_TEST_CASE(trend_steps_must_exceed_the_spread) {
  // 10 → 12 with s = 1 each: the step 2 exceeds √2 ≈ 1.414; with s = 1.5 each, √4.5 ≈ 2.12 > 2.
  BOOST_TEST(trend_verdict({val(10, 1), val(12, 1)}, "increasing", 0, false) == Verdict::pass);
  BOOST_TEST(trend_verdict({val(10, 1.5), val(12, 1.5)}, "increasing", 0, false) == Verdict::inconclusive);
  // One seed (spread 0): the means decide.
  BOOST_TEST(trend_verdict({val(10), val(10.001)}, "increasing", 0, false) == Verdict::pass);
  // The step exactly at the spread is not beyond it: 3-4-5, hypot(3, 4) = 5.
  BOOST_TEST(trend_verdict({val(0, 3), val(5, 4)}, "increasing", 0, false) == Verdict::inconclusive);
  // Any one step within the spread makes the whole trend inconclusive.
  BOOST_TEST(trend_verdict({val(1, 0.1), val(2, 0.1), val(2.1, 0.1)}, "increasing", 0, false) == Verdict::inconclusive);
  // Means that go the wrong way fail, however large the spread.
  BOOST_TEST(trend_verdict({val(12, 5), val(10, 5)}, "increasing", 0, false) == Verdict::fail);
  BOOST_TEST(trend_verdict({val(3, 0.1), val(2, 0.1), val(1, 0.1)}, "decreasing", 0, false) == Verdict::pass);
  // The relative tolerance still applies first: a step of 1% with tol = 5% fails.
  BOOST_TEST(trend_verdict({val(100), val(101)}, "increasing", 0.05, false) == Verdict::fail);
  BOOST_TEST(trend_verdict({val(1)}, "increasing", 0, false) == Verdict::fail);  // nothing to order
  BOOST_TEST(trend_verdict({val(1), val(std::numeric_limits<double>::quiet_NaN())}, "increasing", 0, false) ==
             Verdict::fail);
}

BOOST_AUTO_TEST_CASE(censored_values_never_pass_unless_the_claim_is_about_them) {
  // "over needs more iterations than non": over not reached, non 14. The order holds on the
  // censored count (+inf), but nothing was measured for over: INCONCLUSIVE.
  BOOST_TEST(trend_verdict({val(inf), val(14)}, "decreasing", 0, false) == Verdict::inconclusive);
  // A claim about not reaching the level passes on the same numbers.
  BOOST_TEST(trend_verdict({val(inf), val(14)}, "decreasing", 0, true) == Verdict::pass);
  // Censored values that contradict the claim fail it: not reached is later than 14.
  BOOST_TEST(trend_verdict({val(inf), val(14)}, "increasing", 0, false) == Verdict::fail);
  // Two levels never reached cannot be ordered, whatever the claim is about.
  BOOST_TEST(trend_verdict({val(inf), val(inf)}, "decreasing", 0, true) == Verdict::fail);

  BOOST_TEST(compare_verdict({{val(14), val(40)}}, "<=", false) == Verdict::pass);
  BOOST_TEST(compare_verdict({{val(14), val(40)}, {val(50), val(40)}}, "<=", false) == Verdict::fail);
  // "non < over" with over not reached: inconclusive; one other variant failing makes it FAIL.
  BOOST_TEST(compare_verdict({{val(14), val(inf)}}, "<", false) == Verdict::inconclusive);
  BOOST_TEST(compare_verdict({{val(14), val(inf)}, {val(3), val(2)}}, "<", false) == Verdict::fail);
  BOOST_TEST(compare_verdict({{val(inf), val(300)}}, ">", true) == Verdict::pass);
  BOOST_TEST(compare_verdict({{val(inf), val(40)}}, "<=", false) == Verdict::fail);
  BOOST_TEST(compare_verdict({}, "<", false) == Verdict::fail);
}

BOOST_AUTO_TEST_CASE(verdict_names) {
  BOOST_TEST(std::string(to_string(Verdict::pass)) == "PASS");
  BOOST_TEST(std::string(to_string(Verdict::fail)) == "FAIL");
  BOOST_TEST(std::string(to_string(Verdict::inconclusive)) == "INCONCLUSIVE");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
