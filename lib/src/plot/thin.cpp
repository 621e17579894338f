#include "gradflow/plot/thin.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow {

std::vector<std::size_t> thin_rows(const std::vector<double>& x, std::size_t max_points, bool log_x,
                                   const std::vector<std::vector<double>>& ys) {
  const std::size_t n = x.size();
  std::vector<std::size_t> keep;
  max_points = std::max<std::size_t>(max_points, 2);
  if (n <= max_points) {
    for (std::size_t i = 0; i < n; ++i) keep.push_back(i);
    return keep;
  }
  const bool ordered = std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); }) &&
                       std::is_sorted(x.begin(), x.end());
  double lo = x.front(), hi = x.back();
  if (ordered && log_x) {
    const auto first_positive = std::find_if(x.begin(), x.end(), [](double v) { return v > 0; });
    lo = first_positive == x.end() ? 0 : *first_positive;
  }
  const bool by_x = ordered && hi > lo && (!log_x || lo > 0);
  // Position of row i on the axis, in [0, 1]; negative: not drawable (log axis, x <= 0).
  auto position = [&](std::size_t i) {
    if (!by_x) return static_cast<double>(i) / static_cast<double>(n - 1);
    if (!log_x) return (x[i] - lo) / (hi - lo);
    return x[i] > 0 ? std::log(x[i] / lo) / std::log(hi / lo) : -1.0;
  };
  const std::size_t per_bin = 1 + 3 * ys.size(), bins = (max_points - 2) / per_bin;
  // The current bin's picks: its first row, then per column the rows of min, max, min > 0.
  std::vector<std::size_t> pick;
  std::vector<double> best;
  auto flush = [&] {
    std::sort(pick.begin(), pick.end());
    pick.erase(std::unique(pick.begin(), pick.end()), pick.end());
    keep.insert(keep.end(), pick.begin(), pick.end());
    pick.clear();
  };
  keep.push_back(0);
  long bin = -1;
  for (std::size_t i = 1; i + 1 < n && bins > 0; ++i) {
    const double u = position(i);
    if (u < 0) continue;
    const long b = std::min(static_cast<long>(bins) - 1, static_cast<long>(u * static_cast<double>(bins)));
    if (b != bin) {
      flush();
      bin = b;
      pick.assign(per_bin, i);
      best.assign(per_bin, std::nan(""));
    }
    for (std::size_t c = 0; c < ys.size(); ++c) {
      const double v = i < ys[c].size() ? ys[c][i] : std::nan("");
      if (!std::isfinite(v)) continue;
      const std::size_t at = 1 + 3 * c;
      if (!(v >= best[at])) best[at] = v, pick[at] = i;                 // smallest (NaN: none yet)
      if (!(v <= best[at + 1])) best[at + 1] = v, pick[at + 1] = i;     // largest
      if (v > 0 && !(v >= best[at + 2])) best[at + 2] = v, pick[at + 2] = i;  // smallest positive
    }
  }
  flush();
  keep.push_back(n - 1);
  return keep;
}

}  // namespace gradflow
