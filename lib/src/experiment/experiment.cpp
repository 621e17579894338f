#include "gradflow/experiment/experiment.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/registry/keys.hpp"

namespace gradflow {

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
  if (d.kind == "linear") {
    d.orthogonal = c.get("data.orthogonal", d.orthogonal);
    d.teacher_init = c.get("data.teacher_init", d.teacher_init);
  }
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

void parse_model(Config& c, ModelSpec& m) {
  m.kind = c.get("model.kind", m.kind);
  read_keys(c, "model.", m.descriptor().keys, m.params);
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
  // Beyond this, sample spacings lose digits and iteration counts k = t/eta overflow long.
  if (r.t_end > 1e9) throw input_error("run.t_end: at most 1e9 (sample times and iteration counts must stay exact)");
  if (r.samples < 2 || r.samples > 1'000'000) throw input_error("run.samples: must lie in [2, 1000000]");
  if (r.grid != "linear" && r.grid != "log") throw input_error("run.grid: must be linear or log, got '" + r.grid + "'");
  if (!(r.loss_target >= 0)) throw input_error("run.loss_target: must be non-negative");
  if (!(r.divergence > 1)) throw input_error("run.divergence: must exceed 1");
  integ.validate();
}

/// The ReLU integrator of a weight flow: auto (crossings resolved inside its steps), exact (an
/// event at every crossing) or off (the plain stepper); docs/switching.md.
std::string switching_scheme(const std::string& value, const std::string& key) {
  if (value != "auto" && value != "exact" && value != "off")
    throw input_error(key + ": must be auto, exact or off, got '" + printable(value) + "'");
  return value;
}

MethodSpec parse_method(Config& c, std::size_t i, const IntegrateOptions& defaults, const std::string& switching) {
  const std::string p = "methods." + std::to_string(i + 1) + ".";  // as users count them
  MethodSpec m;
  m.kind = c.get(p + "kind", std::string());
  if (m.kind.empty()) throw input_error(p + "kind: every method needs a kind (" + method_kinds().names() + ")");
  const MethodKind& kind = method_kinds().get(m.kind, p + "kind");
  m.integrate = defaults;
  // The step first (the integrator keys below do not apply to discrete methods).
  const auto eta = std::find_if(kind.keys.begin(), kind.keys.end(), [](const KeySpec& k) { return k.name == "eta"; });
  if (eta != kind.keys.end()) read_keys(c, p, {*eta}, m.params);
  if (kind.integrated()) {
    m.integrate.stepper = c.get(p + "stepper", defaults.stepper);
    m.integrate.rtol = c.get(p + "rtol", defaults.rtol);
    m.integrate.atol = c.get(p + "atol", defaults.atol);
    m.integrate.max_steps = c.get(p + "max_steps", defaults.max_steps);
    m.integrate.validate();
    if (kind.space == Space::weights) {
      m.switching = switching_scheme(c.get(p + "switching", switching), p + "switching");
    }
  }
  std::vector<KeySpec> rest;
  for (const auto& k : kind.keys)
    if (k.name != "eta") rest.push_back(k);
  read_keys(c, p, rest, m.params);
  if (kind.validate) kind.validate(m.params, p);
  m.name = c.get(p + "name", kind.default_name ? kind.default_name(m.params) : m.kind);
  require_identifier(m.name, p + "name");
  return m;
}

LossSpec parse_loss(Config& c) {
  const std::string kind = c.get("loss.kind", "squared");
  // loss.p is read (and so recorded) only for lp; with squared, make_loss_spec names it.
  const bool has_p = c.has("loss.p");
  const double p = kind == "lp" && has_p ? c.get("loss.p", 2.0) : 2.0;
  return make_loss_spec(kind, has_p, p);
}

/// Kinds whose dynamics or columns assume the squared loss (closed forms of the linear
/// Δ̇ = −cHΔ, theorem steps of the squared loss) are refused for any other loss, here,
/// before any data are drawn or any file is written.
void check_loss_of_methods(const Experiment& e) {
  if (e.loss.quadratic()) return;
  for (std::size_t i = 0; i < e.methods.size(); ++i) {
    const MethodKind& kind = e.methods[i].descriptor();
    if (!kind.squared_loss_only.empty())
      throw input_error("methods." + std::to_string(i + 1) + ".kind: " + kind.name + " assumes the squared loss (" +
                        kind.squared_loss_only + "), but loss.kind = " + e.loss.describe());
  }
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
  e.loss = parse_loss(c);
  IntegrateOptions integ;
  parse_run(c, e.run, integ);
  const std::string switching = switching_scheme(c.get("run.switching", "auto"), "run.switching");
  const std::size_t count = c.count("methods");
  if (count == 0) throw input_error("methods: the experiment lists no methods ([[methods]] with kind = \"gf\", ...)");
  std::set<std::string> names;
  for (std::size_t i = 0; i < count; ++i) {
    e.methods.push_back(parse_method(c, i, integ, switching));
    if (!names.insert(e.methods.back().name).second)
      throw input_error("methods." + std::to_string(i + 1) + ".name: '" + e.methods.back().name +
                        "' is used twice (give each method a distinct name)");
  }
  c.check_all_used();
  check_loss_of_methods(e);
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
          {"loss_reduction", to_string(e.reduction)},
          {"loss_kind", to_string(e.loss.kind)},
          {"loss_p", e.loss.p}};
}

}  // namespace gradflow
