#pragma once
// The keys of a kind, declared once: each with its type, default and one-line doc. The
// declarations drive parsing (Config), documentation (`gradflow keys`) and the docs test.
//
//   valid expression                     meaning
//   read_keys(config, "model.", specs)   reads each key that applies, in order; defaults recorded
//   params.number("damping")             the resolved value (throws if the kind never declared it)
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace gradflow {

class Config;

enum class KeyType {
  number,      ///< a real number
  integer,     ///< a whole number
  boolean,     ///< true or false
  text,        ///< a string (with `choices`, one of them)
  expression   ///< a number, or a formula such as "sqrt(2*lambda0)", kept as text
};

std::string to_string(KeyType type);

using KeyValue = std::variant<double, long, bool, std::string>;

/// The resolved values of one kind's keys (defaults included).
class Params {
 public:
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  double number(const std::string& key) const;
  long integer(const std::string& key) const;
  bool flag(const std::string& key) const;
  const std::string& text(const std::string& key) const;  ///< text and expression keys
  void set(const std::string& key, KeyValue value) { values_[key] = std::move(value); }
  const std::map<std::string, KeyValue>& values() const { return values_; }

 private:
  const KeyValue& at(const std::string& key) const;
  std::map<std::string, KeyValue> values_;
};

struct KeySpec {
  std::string name;                ///< relative to its table: "damping"
  KeyType type = KeyType::number;
  KeyValue fallback;               ///< the default (a required key's is never used)
  std::string doc;                 ///< one line
  std::vector<std::string> choices = {};                  ///< text keys: the accepted values
  std::function<bool(const Params&)> applies = nullptr;   ///< read only when this holds on the keys before it
  std::string applies_doc = "";                           ///< when `applies` is set: when, in words
  bool required = false;
};

/// Reads every applicable key of `specs` under `prefix` ("methods.2."), checking types and
/// choices; `into` may hold values read before (they are visible to `applies`).
void read_keys(Config& config, const std::string& prefix, const std::vector<KeySpec>& specs, Params& into);

/// A default as the docs show it: 1000, 1e-06, "relu", true.
std::string format_value(const KeyValue& value);

}  // namespace gradflow
