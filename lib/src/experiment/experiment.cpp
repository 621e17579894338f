#include "gradflow/experiment/experiment.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"

namespace gradflow {

const std::vector<MethodKind>& method_kinds() {
  static const std::vector<MethodKind> kinds{
      {"gf", Space::weights, Family::gf},          {"modified_gf", Space::weights, Family::gf},
      {"hbf", Space::weights, Family::hbf},
      {"nag_flow", Space::weights, Family::nag},   {"nag_sc_flow", Space::weights, Family::nag_sc},
      {"gd", Space::discrete, Family::gf},         {"hb", Space::discrete, Family::hbf},
      {"nag", Space::discrete, Family::nag},       {"nag_sc", Space::discrete, Family::nag_sc},
      {"error_gf", Space::error, Family::gf},      {"error_hbf", Space::error, Family::hbf},
      {"error_nag", Space::error, Family::nag},    {"exact_gf", Space::exact, Family::gf},
      {"exact_hbf", Space::exact, Family::hbf},    {"exact_nag", Space::exact, Family::nag},
      // Xu et al. (linear2): GD with the theorem's fixed step η* or the adaptive η*_t.
      {"gd_xu_fixed", Space::discrete, Family::gf}, {"gd_xu_adaptive", Space::discrete, Family::gf},
  };
  return kinds;
}

const std::string& default_experiment_toml() {
  static const std::string text =
#include "default.toml.inc"
      ;
  return text;
}

namespace {

void parse_data(Config& c, DataOptions& d) {
  d.kind = c.get("data.kind", d.kind);
  d.n = c.get("data.n", d.kind == "digits" || d.kind == "diabetes" || d.kind == "csv" ? 0L : long{d.n});
  d.d = c.get("data.d", long{d.d});
  d.k = c.get("data.k", long{d.k});
  d.label_scale = c.get("data.label_scale", d.label_scale);
  d.noise = c.get("data.noise", d.noise);
  if (d.kind == "teacher") {
    d.teacher_width = c.get("data.teacher_width", long{d.teacher_width});
    d.teacher_activation = c.get("data.teacher_activation", d.teacher_activation);
  }
  if (d.kind == "linear") d.orthogonal = c.get("data.orthogonal", d.orthogonal);
  if (d.kind == "csv") {
    d.path = c.get("data.path", d.path);
    d.target_columns = c.get("data.target_columns", long{d.target_columns});
    d.header = c.get("data.header", d.header);
  }
  if (d.kind == "csv" || d.kind == "digits" || d.kind == "diabetes") {
    d.normalize = c.get("data.normalize", d.normalize);
    d.standardize_targets = c.get("data.standardize_targets", d.standardize_targets);
  }
  if (d.kind == "digits") d.target = c.get("data.target", d.target);
  if (d.kind == "scalar") d.y = c.get("data.y", d.y);
  d.validate();
}

void parse_model(Config& c, ModelOptions& m) {
  m.kind = c.get("model.kind", m.kind);
  const bool two_layer = m.kind == "two_layer", linear = m.kind == "linear2";
  if (m.kind != "scalar" && m.kind != "linear") m.width = c.get("model.width", long{m.width});
  if (two_layer) {
    m.activation = c.get("model.activation", m.activation);
    if (m.activation == "softplus") m.beta = c.get("model.beta", m.beta);
    m.scaling = c.get("model.scaling", m.scaling);
    m.outer_scale = c.get("model.outer_scale", m.outer_scale);
  }
  if (m.kind == "scalar") {
    m.w1 = c.get("model.w1", m.w1);
    m.w2 = c.get("model.w2", m.w2);
  } else {
    m.init.scheme = c.get("model.init", m.init.scheme);
    m.init.scale = c.get("model.init_scale", m.init.scale);
  }
  if (linear && m.init.scheme == "imbalance") m.imbalance = c.get("model.imbalance", m.imbalance);
}

void parse_run(Config& c, RunOptions& r, IntegrateOptions& integ) {
  r.t_end = c.get("run.t_end", r.t_end);
  r.samples = c.get("run.samples", r.samples);
  r.grid = c.get("run.grid", r.grid);
  r.loss_target = c.get("run.loss_target", r.loss_target);
  r.divergence = c.get("run.divergence", r.divergence);
  r.lambda_min_max_n = c.get("run.lambda_min_max_n", r.lambda_min_max_n);
  integ.stepper = c.get("run.stepper", integ.stepper);
  integ.rtol = c.get("run.rtol", integ.rtol);
  integ.atol = c.get("run.atol", integ.atol);
  integ.max_steps = c.get("run.max_steps", integ.max_steps);
  integ.dt0 = c.get("run.dt0", integ.dt0);
  if (!(r.t_end > 0) || !std::isfinite(r.t_end)) throw input_error("run.t_end: must be a positive number");
  if (r.samples < 2 || r.samples > 1'000'000) throw input_error("run.samples: must lie in [2, 1000000]");
  if (r.grid != "linear" && r.grid != "log") throw input_error("run.grid: must be linear or log, got '" + r.grid + "'");
  if (!(r.loss_target >= 0)) throw input_error("run.loss_target: must be non-negative");
  if (!(r.divergence > 1)) throw input_error("run.divergence: must exceed 1");
  integ.validate();
}

MethodSpec parse_method(Config& c, std::size_t i, const IntegrateOptions& defaults, const std::string& switching) {
  const std::string p = "methods." + std::to_string(i) + ".";
  MethodSpec m;
  m.kind = c.get(p + "kind", std::string());
  std::string names;
  for (const auto& k : method_kinds()) names += (names.empty() ? "" : ", ") + k.name;
  if (m.kind.empty()) throw input_error(p + "kind: every method needs a kind (" + names + ")");
  const auto& kinds = method_kinds();
  const auto it = std::find_if(kinds.begin(), kinds.end(), [&](const MethodKind& k) { return k.name == m.kind; });
  if (it == kinds.end()) throw input_error(p + "kind: unknown method kind '" + m.kind + "' (expected " + names + ")");
  m.space = it->space;
  m.family = it->family;
  m.integrate = defaults;

  if (m.kind == "gd_xu_fixed" || m.kind == "gd_xu_adaptive") {
    // The step is the theorem's; `eta` is only the time unit, t = k·eta (default 1: t counts iterations).
    m.eta = c.get(p + "eta", 1.0);
    if (!(m.eta > 0) || !std::isfinite(m.eta)) throw input_error(p + "eta: must be positive");
  } else if (m.discrete() || m.kind == "modified_gf") {
    m.eta = c.get(p + "eta", 0.0);
    if (!(m.eta > 0) || !std::isfinite(m.eta)) throw input_error(p + "eta: a positive step size is required for " + m.kind);
  }
  if (!m.discrete() && m.space != Space::exact) {
    m.integrate.stepper = c.get(p + "stepper", defaults.stepper);
    m.integrate.rtol = c.get(p + "rtol", defaults.rtol);
    m.integrate.atol = c.get(p + "atol", defaults.atol);
    m.integrate.max_steps = c.get(p + "max_steps", defaults.max_steps);
    m.integrate.validate();
    if (m.space == Space::weights) {
      m.switching = c.get(p + "switching", switching);
      if (m.switching != "auto" && m.switching != "off")
        throw input_error(p + "switching: must be auto or off, got '" + m.switching + "'");
    }
  }
  switch (m.family) {
    case Family::gf: break;
    case Family::hbf:
      m.damping = c.get_number_or_text(p + "damping", m.damping);
      if (m.kind == "hb") m.beta = c.get_number_or_text(p + "beta", "");
      break;
    case Family::nag:
      m.gamma = c.get(p + "gamma", m.gamma);
      if (!(m.gamma > 0) || !std::isfinite(m.gamma)) throw input_error(p + "gamma: must be positive");
      m.alpha = c.get_number_or_text(p + "alpha", "2*gamma/3");
      if (m.space == Space::weights) {
        m.t0 = c.get(p + "t0", m.t0);
        if (!(m.t0 >= 0)) throw input_error(p + "t0: must be non-negative");
      }
      break;
    case Family::nag_sc: m.mu = c.get_number_or_text(p + "mu", m.mu); break;
  }
  if (m.space == Space::error || m.space == Space::exact) {
    m.kernel = c.get(p + "kernel", m.kernel);
    const bool ok = m.kernel == "frozen" || m.kernel == "infinite" || (m.kernel == "coupled" && m.space == Space::error);
    if (!ok)
      throw input_error(p + "kernel: must be frozen, infinite" + std::string(m.space == Space::error ? " or coupled" : "") +
                        ", got '" + m.kernel + "'");
  }

  std::string fallback = m.kind;
  if (m.discrete() || m.kind == "modified_gf") {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s_eta%g", m.kind.c_str(), m.eta);
    fallback = buf;
  }
  if ((m.space == Space::error || m.space == Space::exact) && m.kernel != "frozen") fallback += "_" + m.kernel;
  m.name = c.get(p + "name", fallback);
  require_identifier(m.name, p + "name");
  return m;
}

}  // namespace

Experiment parse_experiment(Config& c) {
  Experiment e;
  const long seed = c.get("seed", 1L);
  if (seed < 0) throw input_error("seed: must be non-negative");
  e.seed = static_cast<std::uint64_t>(seed);
  parse_data(c, e.data);
  parse_model(c, e.model);
  e.reduction = parse_reduction(c.get("loss.reduction", "sum"));
  IntegrateOptions integ;
  parse_run(c, e.run, integ);
  const std::string switching = c.get("run.switching", "auto");
  if (switching != "auto" && switching != "off") throw input_error("run.switching: must be auto or off, got '" + switching + "'");
  const std::size_t count = c.count("methods");
  if (count == 0) throw input_error("methods: the experiment lists no methods ([[methods]] with kind = \"gf\", ...)");
  std::set<std::string> names;
  for (std::size_t i = 0; i < count; ++i) {
    e.methods.push_back(parse_method(c, i, integ, switching));
    if (!names.insert(e.methods.back().name).second)
      throw input_error("methods." + std::to_string(i) + ".name: '" + e.methods.back().name +
                        "' is used twice (give each method a distinct name)");
  }
  c.check_all_used();
  e.resolved = c.resolved();
  return e;
}

std::vector<double> sample_times(const RunOptions& run) {
  std::vector<double> t(static_cast<std::size_t>(run.samples));
  const double n = static_cast<double>(run.samples - 1);
  if (run.grid == "linear") {
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = run.t_end * static_cast<double>(i) / n;
  } else {
    // t = 0, then geometric from t_end·1e-4 to t_end.
    t[0] = 0.0;
    for (std::size_t i = 1; i < t.size(); ++i)
      t[i] = run.t_end * std::pow(1e-4, 1.0 - static_cast<double>(i - 1) / std::max(1.0, n - 1));
  }
  t.back() = run.t_end;
  return t;
}

nlohmann::json provenance(const Experiment& e) {
  return {{"gradflow_version", GRADFLOW_VERSION},
          {"seed", e.seed},
          {"config", e.resolved},
          {"loss_reduction", to_string(e.reduction)}};
}

}  // namespace gradflow
