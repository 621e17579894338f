// Thinning the rows a figure draws: short series are untouched; long ones keep both
// endpoints, at most max_points rows, and cover the axis evenly (in x, or in log x).
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "gradflow/plot/thin.hpp"

using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

bool increasing(const std::vector<std::size_t>& v) {
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i] <= v[i - 1]) return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(thin)

BOOST_AUTO_TEST_CASE(a_short_series_is_kept_whole) {
  std::vector<double> x(2000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.01 * static_cast<double>(i);
  const auto keep = thin_rows(x, 2000);
  BOOST_REQUIRE(keep.size() == 2000u);
  for (std::size_t i = 0; i < keep.size(); ++i) BOOST_TEST(keep[i] == i);
}

BOOST_AUTO_TEST_CASE(a_long_series_keeps_its_endpoints_and_at_most_max_points_evenly) {
  // run.samples = 200001 on [0, 2]: 100 rows per bin of 2/1998.
  const std::size_t n = 200001, max = 2000;
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = 2.0 * static_cast<double>(i) / static_cast<double>(n - 1);
  const auto keep = thin_rows(x, max);
  BOOST_TEST(keep.size() <= max);
  BOOST_TEST(keep.size() >= max - 1, "every bin holds rows, so each gives one");
  BOOST_TEST(keep.front() == 0u);
  BOOST_TEST(keep.back() == n - 1);
  BOOST_TEST(increasing(keep));
  // No gap wider than two bins anywhere on the axis.
  double gap = 0;
  for (std::size_t i = 1; i < keep.size(); ++i) gap = std::max(gap, x[keep[i]] - x[keep[i - 1]]);
  BOOST_TEST(gap <= 2 * 2.0 / static_cast<double>(max - 2));
}

BOOST_AUTO_TEST_CASE(a_log_axis_gets_as_many_rows_per_decade) {
  // t = 0, then 1e-6 .. 1 geometrically: on a log axis each of the six decades is one sixth.
  const std::size_t n = 120001, max = 602;
  std::vector<double> x{0.0};
  for (std::size_t i = 0; i < n; ++i) x.push_back(std::pow(10.0, -6.0 + 6.0 * static_cast<double>(i) / (n - 1)));
  auto per_decade = [&](const std::vector<std::size_t>& keep) {
    std::vector<int> count(6, 0);
    for (const std::size_t i : keep)
      if (x[i] > 0 && x[i] < 1) ++count[static_cast<std::size_t>(std::floor(std::log10(x[i]) + 6))];
    return count;
  };
  const auto log_keep = thin_rows(x, max, true);
  BOOST_TEST(log_keep.size() <= max);
  BOOST_TEST(log_keep.front() == 0u, "the first row is kept, though a log axis cannot show t = 0");
  BOOST_TEST(log_keep.back() == x.size() - 1);
  BOOST_TEST(increasing(log_keep));
  for (const int c : per_decade(log_keep)) BOOST_TEST(std::abs(c - 100) <= 2, c);  // (max − 2)/6 = 100 bins each
  // Bins equal in x leave the first three decades (0.1 % of the range) nearly empty.
  const auto lin = per_decade(thin_rows(x, max, false));
  BOOST_TEST(lin[0] + lin[1] + lin[2] <= 3);
}

BOOST_AUTO_TEST_CASE(an_unordered_axis_is_thinned_by_row_index) {
  const std::size_t n = 10001;
  std::vector<double> x(n, std::numeric_limits<double>::quiet_NaN());
  const auto keep = thin_rows(x, 101);
  BOOST_TEST(keep.size() <= 101u);
  BOOST_TEST(keep.front() == 0u);
  BOOST_TEST(keep.back() == n - 1);
  BOOST_TEST(increasing(keep));
  for (std::size_t i = 1; i < keep.size(); ++i) BOOST_TEST(keep[i] - keep[i - 1] <= 2 * (n / 99));
}

BOOST_AUTO_TEST_CASE(each_bin_keeps_the_extremes_of_the_drawn_columns) {
  // Noise between 1e-16 and 1e-12 with one spike up (1) and one dip to 1e-30: drawn from the
  // first row of each bin alone, both would vanish; the smallest positive value is kept even
  // beside a negative one (a log y axis leaves the negative out).
  const std::size_t n = 100001, max = 402;
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<double>(i);
    y[i] = std::pow(10.0, -16 + 4 * std::fmod(0.618033988749 * static_cast<double>(i), 1.0));
  }
  y[31415] = 1.0;
  y[27182] = 1e-30;
  y[27183] = -1.0;
  const auto keep = thin_rows(x, max, false, {y});
  BOOST_TEST(keep.size() <= max);
  BOOST_TEST(increasing(keep));
  BOOST_TEST(keep.front() == 0u);
  BOOST_TEST(keep.back() == n - 1);
  BOOST_TEST(std::count(keep.begin(), keep.end(), 31415u) == 1, "the spike");
  BOOST_TEST(std::count(keep.begin(), keep.end(), 27182u) == 1, "the dip");
  BOOST_TEST(std::count(keep.begin(), keep.end(), 27183u) == 1, "the negative value");
  // (max − 2)/4 = 100 bins of 1000 rows: the noise's envelope in every bin is kept.
  double lo = 1, hi = 0;
  for (const std::size_t i : keep)
    if (i != 27182u && i != 31415u && y[i] > 0) lo = std::min(lo, y[i]), hi = std::max(hi, y[i]);
  BOOST_TEST(lo < 1.01e-16);
  BOOST_TEST(hi > 0.99e-12);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
