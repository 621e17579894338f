#include "gradflow/registry/keys.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/experiment/config.hpp"

namespace gradflow {

std::string to_string(KeyType type) {
  switch (type) {
    case KeyType::number: return "number";
    case KeyType::integer: return "integer";
    case KeyType::boolean: return "boolean";
    case KeyType::text: return "string";
    case KeyType::expression: return "expression";
  }
  return "";
}

const KeyValue& Params::at(const std::string& key) const {
  const auto it = values_.find(key);
  // A kind reading a key it did not declare is a programming error, not bad input.
  if (it == values_.end()) throw std::logic_error("parameter '" + key + "' was not read");
  return it->second;
}

double Params::number(const std::string& key) const {
  const auto& v = at(key);
  if (const auto* l = std::get_if<long>(&v)) return static_cast<double>(*l);
  return std::get<double>(v);
}
long Params::integer(const std::string& key) const { return std::get<long>(at(key)); }
bool Params::flag(const std::string& key) const { return std::get<bool>(at(key)); }
const std::string& Params::text(const std::string& key) const { return std::get<std::string>(at(key)); }

void read_keys(Config& c, const std::string& prefix, const std::vector<KeySpec>& specs, Params& into) {
  for (const auto& s : specs) {
    if (s.applies && !s.applies(into)) continue;
    const std::string key = prefix + s.name;
    if (s.required && !c.has(key)) throw input_error(key + ": is required (" + s.doc + ")");
    switch (s.type) {
      case KeyType::number: into.set(s.name, c.get(key, std::get<double>(s.fallback))); break;
      case KeyType::integer: into.set(s.name, c.get(key, std::get<long>(s.fallback))); break;
      case KeyType::boolean: into.set(s.name, c.get(key, std::get<bool>(s.fallback))); break;
      case KeyType::text: into.set(s.name, c.get(key, std::get<std::string>(s.fallback))); break;
      case KeyType::expression: into.set(s.name, c.get_number_or_text(key, std::get<std::string>(s.fallback))); break;
    }
    if (!s.choices.empty()) {
      const auto& v = into.text(s.name);
      if (std::find(s.choices.begin(), s.choices.end(), v) == s.choices.end()) {
        std::string list;
        for (std::size_t i = 0; i < s.choices.size(); ++i)
          list += (i ? (i + 1 == s.choices.size() ? " or " : ", ") : "") + s.choices[i];
        throw input_error(key + ": must be " + list + ", got '" + printable(v) + "'");
      }
    }
  }
}

std::string format_value(const KeyValue& value) {
  std::ostringstream s;
  if (const auto* d = std::get_if<double>(&value)) s << *d;
  else if (const auto* l = std::get_if<long>(&value)) s << *l;
  else if (const auto* b = std::get_if<bool>(&value)) s << (*b ? "true" : "false");
  else s << '"' << std::get<std::string>(value) << '"';
  return s.str();
}

}  // namespace gradflow
