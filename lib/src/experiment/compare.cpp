#include "gradflow/core/types.hpp"
#include "gradflow/experiment/compare.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <fstream>
#include <numeric>
#include <limits>
#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/fit.hpp"
#include "gradflow/experiment/problem.hpp"

namespace gradflow {
namespace {


/// A discrete method and one of the flows it is compared with.
struct Pair {
  MethodSpec discrete;
  MethodSpec flow;
  bool flow_depends_on_eta;  ///< the flow has an `eta` key (the modified flow): integrated per η
};

/// The spec of flow `kind` with the keys it shares with `from` (damping, γ, μ, ...), the rest
/// at their defaults, integrated tightly.
MethodSpec twin_spec(const std::string& kind, const MethodSpec& from, const CompareOptions& o) {
  MethodSpec s;
  s.kind = s.name = kind;
  for (const auto& key : s.descriptor().keys) {
    const auto it = from.params.values().find(key.name);
    s.params.set(key.name, it != from.params.values().end() ? it->second : key.fallback);
  }
  s.integrate.rtol = o.rtol;
  s.integrate.atol = o.atol;
  s.integrate.max_steps = 50'000'000;
  return s;
}

/// θ(t) of a weight flow at the sorted `times`, run through its kind like any method.
std::vector<Vec> flow_samples(const Problem& problem, const MethodSpec& flow, const std::vector<double>& times) {
  std::vector<Vec> out;
  MethodContext ctx(problem, flow, times, [&](const StateView& v) {
    out.push_back(*v.theta);
    return true;
  });
  const MethodRun run = flow.descriptor().prepare(ctx);
  run(ctx);
  if (ctx.outcome.status != Status::completed)
    throw input_error("compare: the " + flow.kind + " flow did not finish (" + ctx.outcome.message + ")");
  return out;
}

/// Fitted order: slope of log y against log x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<std::pair<double, double>> pts;
  for (std::size_t i = 0; i < x.size(); ++i) pts.emplace_back(std::log(x[i]), std::log(y[i]));
  return fit_line(pts).slope;
}

}  // namespace

CompareResult run_compare(const Experiment& e, const CompareOptions& options) {
  const auto begin = std::chrono::steady_clock::now();
  const Problem problem(e);
  const Objective& objective = problem.objective();
  const Vec& theta0 = problem.theta0();

  CompareResult result;
  result.horizon = options.horizon > 0 ? options.horizon : e.run.t_end;
  result.hessian_lambda_max = objective.hessian_lambda_max(theta0);
  std::vector<double> etas = options.etas;
  if (etas.empty())
    for (const double f : {2.5, 1.0, 0.5, 0.25, 0.125}) etas.push_back(f / result.hessian_lambda_max);
  for (const double eta : etas)
    if (!(eta > 0) || !std::isfinite(eta)) throw input_error("--eta: every step size must be positive");

  // The first method of each discrete kind, against each of its twins.
  std::vector<Pair> pairs;
  std::vector<std::string> kinds;
  auto add_pairs = [&](const MethodSpec& m) {
    for (const auto& twin : m.descriptor().twins) {
      if (method_kinds().get(twin, "twin").smooth_only && problem.model().piecewise_linear()) {
        // Its field holds the Hessian, which jumps on the ReLU switching surfaces: the plain
        // stepper chatters there at the compare's tolerances for hours.
        result.skipped.push_back(m.kind + " vs " + twin + ": " + twin + " needs a smooth model, " + e.model.kind +
                                 " is piecewise linear");
        continue;
      }
      const MethodSpec flow = twin_spec(twin, m, options);
      const auto& keys = flow.descriptor().keys;
      pairs.push_back({m, flow, std::any_of(keys.begin(), keys.end(), [](const KeySpec& k) { return k.name == "eta"; })});
    }
  };
  for (const auto& m : e.methods) {
    const MethodKind& kind = m.descriptor();
    if (!kind.discrete() || std::find(kinds.begin(), kinds.end(), m.kind) != kinds.end()) continue;
    kinds.push_back(m.kind);
    if (kind.step_from_theory || kind.twins.empty()) {
      result.skipped.push_back(m.name + " (" + m.kind + "): its step is not a free eta");
      continue;
    }
    add_pairs(m);
  }
  if (pairs.empty() && kinds.empty()) {
    MethodSpec gd;
    gd.kind = gd.name = "gd";
    gd.params.set("eta", 0.0);
    add_pairs(gd);
  }

  // Every (pair, eta) must take at least one step and stay within the budget, checked before
  // anything is integrated.
  const std::string horizon_key = options.horizon > 0 ? "--horizon" : "run.t_end";
  for (const auto& pair : pairs)
    for (const double eta : etas) {
      MethodSpec at_eta = pair.discrete;
      at_eta.params.set("eta", eta);
      try {
        check_discrete_horizon(at_eta, result.horizon, horizon_key);
      } catch (const input_error& ex) {
        // Name the command-line option rather than the file's eta, which compare overrides.
        const std::string what = ex.what();
        char name[64];
        std::snprintf(name, sizeof name, "--eta %g (%s)", eta, pair.discrete.kind.c_str());
        throw input_error(name + what.substr(what.find(':')));
      }
    }

  const Model& model = problem.model();
  const auto invariant_cols = model.diagnostic_columns();
  int invariant = -1;
  for (std::size_t i = 0; i < invariant_cols.size(); ++i)
    if (invariant_cols[i] == "imbalance" || invariant_cols[i] == "balance") invariant = static_cast<int>(i);
  std::vector<double> diag(invariant_cols.size());
  const double loss0 = objective.value(theta0);

  for (const auto& pair : pairs) {
    const MethodKind& kind = pair.discrete.descriptor();
    const std::string series = pair.discrete.kind + "_vs_" + pair.flow.kind;
    auto steps_of = [&](double eta) { return static_cast<long>(std::floor(result.horizon / kind.time_unit(eta) + 1e-9)); };
    auto times_of = [&](double eta) {
      std::vector<double> t;
      for (long k = 0; k <= steps_of(eta); ++k) t.push_back(static_cast<double>(k) * kind.time_unit(eta));
      return t;
    };
    // One tight integration with samples at every discrete time of the grid (a flow that
    // depends on η is integrated once per η).
    std::vector<double> grid;
    for (const double eta : etas)
      for (const double t : times_of(eta)) grid.push_back(t);
    std::sort(grid.begin(), grid.end());
    grid.erase(std::unique(grid.begin(), grid.end(), [&](double x, double y) { return y - x <= 1e-12 * result.horizon; }),
               grid.end());
    auto index_of = [&](double t) {
      const auto it = std::lower_bound(grid.begin(), grid.end(), t - 1e-12 * result.horizon);
      return static_cast<std::size_t>(it - grid.begin());
    };
    std::vector<Vec> shared;
    if (!pair.flow_depends_on_eta) shared = flow_samples(problem, pair.flow, grid);

    std::vector<double> xs, ps, ls;
    for (const double eta : etas) {
      const double dt = kind.time_unit(eta);
      const long K = steps_of(eta);
      const std::vector<double> own = times_of(eta);
      std::vector<Vec> modified;
      if (pair.flow_depends_on_eta) {
        MethodSpec flow = pair.flow;
        flow.params.set("eta", eta);
        modified = flow_samples(problem, flow, own);
      }
      auto flow_at = [&](long k) -> const Vec& {
        return pair.flow_depends_on_eta ? modified[static_cast<std::size_t>(k)]
                                        : shared[index_of(static_cast<double>(k) * dt)];
      };
      CompareRow row;
      row.method = series;
      row.discrete = pair.discrete.kind;
      row.flow = pair.flow.kind;
      row.eta = eta;
      row.dt = dt;
      row.imbalance_drift = invariant >= 0 ? 0.0 : nan;
      MethodSpec at_eta = pair.discrete;
      at_eta.params.set("eta", eta);
      bool diverged = false;
      long k = 0;
      MethodContext ctx(problem, at_eta, own, [&](const StateView& v) {
        const Vec& theta = *v.theta;
        const double loss = objective.value(theta);
        if (!std::isfinite(loss) || loss > 1e8 * loss0) {
          diverged = true;
          return false;
        }
        const Vec& flow = flow_at(k++);
        row.max_param_dev = std::max(row.max_param_dev, (theta - flow).norm());
        row.max_loss_dev = std::max(row.max_loss_dev, std::abs(loss - objective.value(flow)));
        if (invariant >= 0) {
          model.diagnostics(theta, theta0, diag);
          row.imbalance_drift = std::max(row.imbalance_drift, diag[static_cast<std::size_t>(invariant)]);
        }
        row.final_loss = loss;
        row.final_param_dev = (theta - flow).norm();
        return true;
      });
      const MethodRun run = kind.prepare(ctx);
      row.stability_limit = kind.stability_limit ? kind.stability_limit(ctx, eta, result.hessian_lambda_max) : nan;
      row.stable = eta < row.stability_limit;
      run(ctx);
      row.iterations = ctx.outcome.counters.steps_accepted;
      row.flow_final_loss = objective.value(flow_at(K));
      diverged = diverged || ctx.outcome.status == Status::diverged;
      row.flow_travel = (flow_at(K) - theta0).norm();
      row.left_basin = diverged || row.final_param_dev > 0.5 * row.flow_travel;
      if (diverged) row.max_param_dev = row.max_loss_dev = row.final_loss = nan;
      if (!row.left_basin && row.max_param_dev > 0 && row.max_loss_dev > 0) {
        xs.push_back(eta);
        ps.push_back(row.max_param_dev);
        ls.push_back(row.max_loss_dev);
      }
      result.rows.push_back(row);
    }
    result.slopes[series] = {slope(xs, ps), slope(xs, ls)};
  }
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  return result;
}

void write_compare(const std::string& dir, const Experiment& e, const CompareOptions& o, const CompareResult& r) {
  std::ofstream csv(dir + "/compare.csv");
  if (!csv) throw input_error("cannot write '" + dir + "/compare.csv'");
  csv << "method,discrete,flow,eta,dt,iterations,max_param_dev,max_loss_dev,imbalance_drift,stability_limit,"
         "stable,left_basin,final_param_dev,flow_travel,final_loss,flow_final_loss,slope_max_param_dev,slope_max_loss_dev\n";
  char buf[512];
  for (const auto& row : r.rows) {
    const auto& s = r.slopes.at(row.method);
    std::snprintf(buf, sizeof buf, "%s,%s,%s,%.10g,%.10g,%ld,%.10g,%.10g,%.10g,%.10g,%d,%d,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g\n",
                  row.method.c_str(), row.discrete.c_str(), row.flow.c_str(), row.eta, row.dt, row.iterations,
                  row.max_param_dev, row.max_loss_dev, row.imbalance_drift, row.stability_limit, row.stable ? 1 : 0,
                  row.left_basin ? 1 : 0, row.final_param_dev, row.flow_travel, row.final_loss, row.flow_final_loss,
                  s.first, s.second);
    csv << buf;
  }
  nlohmann::json j = provenance(e);
  j["etas"] = o.etas;
  j["horizon"] = r.horizon;
  j["flow_rtol"] = o.rtol;
  j["flow_atol"] = o.atol;
  j["hessian_lambda_max"] = r.hessian_lambda_max;
  j["wall_seconds"] = r.wall_seconds;
  for (const auto& [method, s] : r.slopes)
    j["slopes"][method] = {{"max_param_dev", std::isfinite(s.first) ? nlohmann::json(s.first) : nlohmann::json()},
                           {"max_loss_dev", std::isfinite(s.second) ? nlohmann::json(s.second) : nlohmann::json()}};
  std::ofstream(dir + "/compare.json") << j.dump(2) << "\n";
}

std::string compare_summary(const CompareResult& r) {
  std::ostringstream s;
  char line[256];
  std::snprintf(line, sizeof line, "compare over t in [0, %g]; lambda_max(Hessian of L at theta0) = %.4g, so GD is stable for eta < %.4g\n",
                r.horizon, r.hessian_lambda_max, 2.0 / r.hessian_lambda_max);
  s << line;
  std::snprintf(line, sizeof line, "%-22s %10s %8s %14s %14s %14s %7s %6s\n", "pair", "eta", "steps", "max |dtheta|",
                "max |dL|", "invariant", "stable", "basin");
  s << line;
  for (const auto& row : r.rows) {
    std::snprintf(line, sizeof line, "%-22s %10.4g %8ld %14.4e %14.4e %14.4e %7s %6s\n", row.method.c_str(), row.eta,
                  row.iterations, row.max_param_dev, row.max_loss_dev, row.imbalance_drift, row.stable ? "yes" : "no",
                  row.left_basin ? "LEFT" : "kept");
    s << line;
  }
  s << "fitted order in eta (slope of log deviation against log eta, rows that kept the basin):\n";
  for (const auto& [method, sl] : r.slopes) {
    std::snprintf(line, sizeof line, "  %-22s parameters %6.3f   loss %6.3f\n", method.c_str(), sl.first, sl.second);
    s << line;
  }
  s << "  (GD: order 1 against gf, 2 against modified_gf; momentum methods: order 1/2 in eta = 1 in sqrt(eta))\n";
  for (const auto& skipped : r.skipped) s << "not compared: " << skipped << "\n";
  return s.str();
}

}  // namespace gradflow
