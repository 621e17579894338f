#include "gradflow/registry/keys_doc.hpp"

#include <sstream>

#include "gradflow/core/error.hpp"
#include "gradflow/registry/method_kind.hpp"
#include "gradflow/registry/model_kind.hpp"

namespace gradflow {
namespace {

struct Row {
  std::string key, type, fallback, when, doc;
};

std::vector<Row> rows(const std::vector<KeySpec>& keys) {
  std::vector<Row> out;
  for (const auto& k : keys)
    out.push_back({k.name, to_string(k.type), k.required ? "required" : format_value(k.fallback), k.applies_doc, k.doc});
  return out;
}

/// The keys every method has besides its kind's own.
std::vector<Row> method_rows(const MethodKind& m) {
  std::vector<Row> out{{"kind", "string", "required", "", "the method kind, " + m.name}};
  for (auto& r : rows(m.keys)) out.push_back(r);
  if (m.integrated()) {
    out.push_back({"stepper", "string", "from run.stepper", "", "dopri5, cash_karp54, fehlberg78 or bulirsch_stoer"});
    out.push_back({"rtol", "number", "from run.rtol", "", "relative tolerance of the stepper"});
    out.push_back({"atol", "number", "from run.atol", "", "absolute tolerance of the stepper"});
    out.push_back({"max_steps", "integer", "from run.max_steps", "", "step budget (accepted + rejected steps)"});
  }
  if (m.space == Space::weights)
    out.push_back({"switching", "string", "from run.switching", "piecewise-linear models",
                   "auto (crossings and sliding resolved inside its steps), exact (an event at each) or off (the plain stepper)"});
  out.push_back({"name", "string", m.default_name ? "derived from the keys" : "\"" + m.name + "\"", "",
                 "unique; names the CSV ([A-Za-z0-9_.-], at most 64 characters)"});
  return out;
}

std::string method_heading(const MethodKind& m) {
  std::string h = to_string(m.space) + (m.order == 2 ? ", second order" : "");
  if (m.discrete()) {
    // The unit at eta = 4 tells the three clocks apart: 2 (sqrt), 4 (eta), 16 (eta^2, AdaGrad).
    const double unit = m.time_unit ? m.time_unit(4.0) : 4.0;
    h += ", t = k*" + std::string(unit == 2.0 ? "sqrt(eta)" : unit == 16.0 ? "eta^2" : "eta");
  }
  if (!m.twins.empty()) {
    h += m.discrete() ? ", compared with " : ", twin ";
    for (std::size_t i = 0; i < m.twins.size(); ++i) h += (i ? ", " : "") + m.twins[i];
  }
  return h;
}

void text_table(std::ostringstream& s, const std::vector<Row>& rs) {
  for (const auto& r : rs) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "  %-14s %-10s %-22s %s%s\n", r.key.c_str(), r.type.c_str(), r.fallback.c_str(),
                  r.doc.c_str(), r.when.empty() ? "" : (" [when " + r.when + "]").c_str());
    s << buf;
  }
}

void markdown_table(std::ostringstream& s, const std::vector<Row>& rs) {
  s << "| key | type | default | when | meaning |\n|-----|------|---------|------|---------|\n";
  for (const auto& r : rs)
    s << "| `" << r.key << "` | " << r.type << " | " << r.fallback << " | " << r.when << " | " << r.doc << " |\n";
}

}  // namespace

std::string keys_text(const std::string& kind) {
  std::ostringstream s;
  bool found = false;
  for (const ModelKind* m : model_kinds().all()) {
    if (!kind.empty() && kind != m->name) continue;
    found = true;
    s << "model.kind = \"" << m->name << "\": " << m->summary << "\n";
    text_table(s, rows(m->keys));
    s << "\n";
  }
  for (const MethodKind* m : method_kinds().all()) {
    if (!kind.empty() && kind != m->name) continue;
    found = true;
    s << "methods.N.kind = \"" << m->name << "\" (" << method_heading(*m) << "): " << m->summary << "\n";
    text_table(s, method_rows(*m));
    s << "\n";
  }
  if (!found)
    throw input_error("keys: unknown kind '" + kind + "' (model kinds: " + model_kinds().names() +
                      "; method kinds: " + method_kinds().names() + ")");
  return s.str();
}

std::string keys_markdown() {
  std::ostringstream s;
  s << "### Model kinds\n\n";
  for (const ModelKind* m : model_kinds().all()) {
    s << "#### `" << m->name << "`\n\n" << m->summary << ".\n\n";
    markdown_table(s, rows(m->keys));
    s << "\n";
  }
  s << "### Method kinds\n\n";
  for (const MethodKind* m : method_kinds().all()) {
    s << "#### `" << m->name << "`\n\n" << m->summary << " (" << method_heading(*m) << ").\n\n";
    markdown_table(s, method_rows(*m));
    s << "\n";
  }
  return s.str();
}

}  // namespace gradflow
