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

bool selected(const RecipeClaim& c, const RecipeVariant& v) {
  return c.variants.empty() || std::find(c.variants.begin(), c.variants.end(), v.label) != c.variants.end();
}

ClaimResult check(const RecipeClaim& c, const std::vector<VariantRuns>& vs, const std::string& where) {
  ClaimResult res{c, false, ""};
  std::ostringstream m;
  if (c.kind == "trend") {
    std::vector<double> vals;
    for (const auto& v : vs)
      if (selected(c, *v.variant)) {
        vals.push_back(value(c.metric, v, where));
        m << (vals.size() > 1 ? ", " : "") << v.variant->label << ": " << fmt(vals.back());
      }
    bool ok = vals.size() >= 2;
    for (std::size_t i = 1; i < vals.size(); ++i) {
      // inf − inf is NaN: two levels never reached cannot be ordered, and the claim fails.
      const double step = vals[i] - vals[i - 1], slack = std::isfinite(vals[i - 1]) ? c.tol * std::abs(vals[i - 1]) : 0.0;
      ok = ok && (c.direction == "increasing" ? step > slack : step < -slack);
    }
    res.pass = ok;
  } else if (c.kind == "compare") {
    bool ok = true;
    int count = 0;
    for (const auto& v : vs) {
      if (!selected(c, *v.variant)) continue;
      const double l = value(c.lhs, v, where), r = value(c.rhs, v, where);
      const bool holds = c.op == "<" ? l < r : c.op == "<=" ? l <= r : c.op == ">" ? l > r : l >= r;
      ok = ok && holds;
      m << (count++ ? "; " : "") << v.variant->label << ": " << fmt(l) << " " << c.op << " " << fmt(r)
        << (holds ? "" : " (fails)");
    }
    res.pass = ok && count > 0;
  } else {  // monotone
    bool all = true;
    int count = 0;
    for (const auto& v : vs) {
      if (!selected(c, *v.variant)) continue;
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
    res.pass = count > 0 && all == c.expect;
  }
  res.measured = m.str();
  return res;
}

}  // namespace gradflow::recipe_detail
