#include "internal.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/core/resources.hpp"
#include "gradflow/experiment/config.hpp"
#include "gradflow/experiment/experiment.hpp"
#include "gradflow/experiment/expression.hpp"
#include "gradflow/experiment/runner.hpp"
#include "gradflow/experiment/theory_report.hpp"
#include "gradflow/plot/figure.hpp"

namespace fs = std::filesystem;

namespace gradflow::recipe_detail {

std::string fmt(double v) {
  if (v == never) return "not reached";
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

/// Text for a markdown table cell: '|' would end the cell.
std::string cell(const std::string& text) {
  std::string out;
  for (const char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

std::string fmt(const ClaimValue& v) {
  return std::isfinite(v.mean) && v.spread > 0 ? fmt(v.mean) + " ± " + fmt(v.spread) : fmt(v.mean);
}

bool selected(const std::vector<std::string>& labels, const RecipeVariant& v) {
  return labels.empty() || std::find(labels.begin(), labels.end(), v.label) != labels.end();
}

ClaimResult check(const RecipeClaim& c, const std::vector<VariantRuns>& vs, const std::string& where) {
  ClaimResult res{c, false, Verdict::fail, ""};
  std::ostringstream m;
  if (c.kind == "trend") {
    std::vector<ClaimValue> vals;
    for (const auto& v : vs)
      if (selected(c.variants, *v.variant)) {
        vals.push_back(claim_value(c.metric, v, where));
        m << (vals.size() > 1 ? ", " : "") << v.variant->label << ": " << fmt(vals.back());
      }
    res.verdict = trend_verdict(vals, c.direction, c.tol, c.about_not_reaching);
    if (res.verdict == Verdict::inconclusive) {
      const bool censored = std::any_of(vals.begin(), vals.end(), [](const ClaimValue& x) { return x.censored; });
      m << (censored ? " (a level not reached: censored)" : " (a step within the seed-to-seed spread)");
    }
  } else if (c.kind == "compare") {
    std::vector<std::pair<ClaimValue, ClaimValue>> sides;
    for (const auto& v : vs) {
      if (!selected(c.variants, *v.variant)) continue;
      sides.emplace_back(claim_value(c.lhs, v, where), claim_value(c.rhs, v, where));
      const bool holds = compare_verdict({sides.back()}, c.op, true) == Verdict::pass;
      m << (sides.size() > 1 ? "; " : "") << v.variant->label << ": " << fmt(sides.back().first) << " " << c.op << " "
        << fmt(sides.back().second) << (holds ? "" : " (fails)");
    }
    res.verdict = compare_verdict(sides, c.op, c.about_not_reaching);
    if (res.verdict == Verdict::inconclusive) m << " (a level not reached: censored)";
  } else {  // monotone
    bool all = true;
    int count = 0;
    for (const auto& v : vs) {
      if (!selected(c.variants, *v.variant)) continue;
      const double after = c.after.empty() ? 0.0 : value(c.after, v, where);
      const auto& meth = find_method(v.runs.front(), c.method, where);
      const auto col = column(meth, c.column, where), t = meth.table.values("t");
      long ups = 0, checked = 0;
      double first = nan, lastt = nan;
      for (std::size_t i = 1; i < col.size(); ++i) {
        if (t[i - 1] < after || !std::isfinite(col[i]) || !std::isfinite(col[i - 1])) continue;
        ++checked;
        const double step = col[i] - col[i - 1], slack = 1e-9 * std::max(std::abs(col[i - 1]), 1e-300);
        const bool up = c.direction == "nondecreasing" ? step < -slack : step > slack;
        if (up) {
          ++ups;
          if (std::isnan(first)) first = t[i];
          lastt = t[i];
        }
      }
      all = all && ups == 0;
      m << (count++ ? "; " : "") << v.variant->label << ": ";
      if (ups == 0)
        m << "monotone on all " << checked << " sample steps" << (after > 0 ? " from t = " + fmt(after) : "");
      else
        m << "not monotone: " << ups << " of " << checked << " steps go the wrong way, between t = " << fmt(first)
          << " and " << fmt(lastt);
    }
    res.verdict = count > 0 && all == c.expect ? Verdict::pass : Verdict::fail;
  }
  res.pass = res.verdict == Verdict::pass;
  res.measured = m.str();
  return res;
}

}  // namespace gradflow::recipe_detail

namespace gradflow {

using recipe_detail::never;

const char* to_string(Verdict v) {
  return v == Verdict::pass ? "PASS" : v == Verdict::fail ? "FAIL" : "INCONCLUSIVE";
}

Verdict trend_verdict(const std::vector<ClaimValue>& vals, const std::string& direction, double tol,
                      bool about_not_reaching) {
  if (vals.size() < 2) return Verdict::fail;
  bool censored = false, within_spread = false;
  for (std::size_t i = 1; i < vals.size(); ++i) {
    const ClaimValue &a = vals[i - 1], &b = vals[i];
    if (std::isnan(a.mean) || std::isnan(b.mean)) return Verdict::fail;
    censored = censored || a.censored || b.censored;
    // inf − inf is NaN: two levels never reached cannot be ordered, and the claim fails.
    const double step = b.mean - a.mean, slack = std::isfinite(a.mean) ? tol * std::abs(a.mean) : 0.0;
    if (!(direction == "increasing" ? step > slack : step < -slack)) return Verdict::fail;
    if (std::isfinite(step) && std::abs(step) <= std::hypot(a.spread, b.spread)) within_spread = true;
  }
  if (censored && !about_not_reaching) return Verdict::inconclusive;
  return within_spread ? Verdict::inconclusive : Verdict::pass;
}

Verdict compare_verdict(const std::vector<std::pair<ClaimValue, ClaimValue>>& sides, const std::string& op,
                        bool about_not_reaching) {
  if (sides.empty()) return Verdict::fail;
  bool censored = false;
  for (const auto& [lv, rv] : sides) {
    const double l = lv.mean, r = rv.mean;
    const bool holds = op == "<" ? l < r : op == "<=" ? l <= r : op == ">" ? l > r : l >= r;
    if (!holds) return Verdict::fail;
    censored = censored || lv.censored || rv.censored || l == never || r == never;
  }
  return censored && !about_not_reaching ? Verdict::inconclusive : Verdict::pass;
}

}  // namespace gradflow
