#include "gradflow/experiment/config.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"

namespace gradflow {

namespace {

/// Measures how deep TOML text nests (header parts, dotted-key parts, arrays and inline
/// tables) without building it: toml++ builds, walks and destroys tables recursively, so a
/// key of 50,000 parts would overflow the stack there and in collect_unused. This is an upper
/// bound for valid TOML; on text it cannot follow it stops and leaves the error to toml++.
class NestingScan {
 public:
  NestingScan(const std::string& text, const std::string& source, std::size_t base)
      : s_(text), source_(source), base_(base) {}

  void run() {
    while (i_ < s_.size()) {
      skip_blank(true);
      if (i_ >= s_.size()) return;
      if (s_[i_] == '[') {
        if (!header()) return;
      } else {
        std::size_t parts = 0;
        if (!key(parts, base_)) return;
        if (!value(base_ + parts)) return;
      }
    }
  }

 private:
  [[noreturn]] void deep(std::size_t at) const {
    const auto line = 1 + std::count(s_.begin(), s_.begin() + static_cast<std::ptrdiff_t>(std::min(at, s_.size())), '\n');
    throw input_error(source_ + ":" + std::to_string(line) + ": nested deeper than " + std::to_string(max_config_depth) +
                      " levels (tables, dotted keys and arrays), as in '" + shortened(s_.substr(start_, at - start_)) + "'");
  }
  void check(std::size_t depth) const {
    if (depth > max_config_depth) deep(i_);
  }
  /// Spaces, tabs, comments and (when `lines`) newlines.
  void skip_blank(bool lines) {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || (lines && c == '\n')) ++i_;
      else if (c == '#') while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      else return;
    }
  }
  static bool bare(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  }
  /// Skips a string starting at s_[i_] (one of the four TOML kinds); false if unterminated.
  bool string() {
    const char q = s_[i_];
    const bool multi = s_.compare(i_, 3, std::string(3, q)) == 0;
    i_ += multi ? 3 : 1;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\\' && q == '"') {
        i_ += 2;
      } else if (c == q && (!multi || s_.compare(i_, 3, std::string(3, q)) == 0)) {
        i_ += multi ? 3 : 1;
        if (multi)
          for (int extra = 0; extra < 2 && i_ < s_.size() && s_[i_] == q; ++extra) ++i_;  // """a"""" ends in a quote
        return true;
      } else if (c == '\n' && !multi) {
        return false;
      } else {
        ++i_;
      }
    }
    return false;
  }
  /// A dotted key up to and including '=' (or up to ']' in a header); counts its parts.
  bool key(std::size_t& parts, std::size_t base, bool in_header = false) {
    start_ = i_;
    for (;;) {
      skip_blank(false);
      if (i_ >= s_.size()) return false;
      if (s_[i_] == '"' || s_[i_] == '\'') {
        if (!string()) return false;
      } else if (bare(s_[i_])) {
        while (i_ < s_.size() && bare(s_[i_])) ++i_;
      } else {
        return false;
      }
      check(base + ++parts);
      skip_blank(false);
      if (i_ < s_.size() && s_[i_] == '.') {
        ++i_;
        continue;
      }
      if (in_header) return i_ < s_.size() && s_[i_] == ']';
      if (i_ < s_.size() && s_[i_] == '=') {
        ++i_;
        return true;
      }
      return false;
    }
  }
  /// [a.b] or [[a.b]] (an entry of an array of tables counts one level more).
  bool header() {
    const bool array = s_.compare(i_, 2, "[[") == 0;
    i_ += array ? 2 : 1;
    std::size_t parts = 0;
    if (!key(parts, 0, true)) return false;
    i_ += array ? 2 : 1;
    base_ = parts + (array ? 1 : 0);
    check(base_);
    return true;
  }
  /// A value at `depth` up to the end of its line (arrays and inline tables may nest).
  bool value(std::size_t depth) {
    struct Open {
      char close;
      std::size_t depth;
    };
    std::vector<Open> open;
    std::size_t here = depth;
    while (i_ < s_.size()) {
      skip_blank(!open.empty());
      if (i_ >= s_.size()) return true;
      const char c = s_[i_];
      if (c == '\n') return true;
      if (c == '"' || c == '\'') {
        if (!string()) return false;
      } else if (c == '[') {
        ++i_;
        open.push_back({']', here + 1});
        here = open.back().depth;
        check(here);
      } else if (c == '{' || (c == ',' && !open.empty() && open.back().close == '}')) {
        ++i_;
        if (c == '{') open.push_back({'}', here});
        skip_blank(false);
        if (i_ < s_.size() && s_[i_] == '}') continue;  // {} or a trailing comma: closed below
        std::size_t parts = 0;
        if (!key(parts, open.back().depth)) return false;
        here = open.back().depth + parts;
      } else if (c == ']' || c == '}') {
        if (open.empty() || open.back().close != c) return false;
        ++i_;
        open.pop_back();
        here = open.empty() ? depth : open.back().close == ']' ? open.back().depth : here;
      } else {
        ++i_;
      }
    }
    return true;
  }

  const std::string& s_;
  const std::string& source_;
  std::size_t base_;
  std::size_t i_ = 0, start_ = 0;
};

}  // namespace

void check_config_nesting(const std::string& text, const std::string& source, std::size_t base) {
  NestingScan(text, source, base).run();
}

struct Config::Impl {
  toml::table input;
  std::string source;
  std::set<std::string> used;
  nlohmann::json resolved = nlohmann::json::object();

  static std::vector<std::string> split(const std::string& key) {
    std::vector<std::string> parts;
    std::stringstream ss(key);
    std::string part;
    while (std::getline(ss, part, '.')) parts.push_back(part);
    return parts;
  }
  static bool is_index(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  }
  /// The 0-based position of a 1-based index part ("methods.2" is the second); npos when it
  /// is 0 or too long to be any position.
  static std::size_t position(const std::string& s) {
    if (s.size() > 9 || s == "0" || s.find_first_not_of("0123456789") != std::string::npos) return std::string::npos;
    return std::stoul(s) - 1;
  }

  const toml::node* find(const std::string& key) const {
    const toml::node* node = &input;
    for (const auto& part : split(key)) {
      if (const auto* t = node->as_table()) {
        node = t->get(part);
      } else if (const auto* a = node->as_array(); a && is_index(part)) {
        node = position(part) == std::string::npos ? nullptr : a->get(position(part));
      } else {
        return nullptr;
      }
      if (!node) return nullptr;
    }
    return node;
  }

  void record(const std::string& key, const nlohmann::json& value) {
    used.insert(key);
    std::string pointer;
    for (const auto& part : split(key))
      pointer += "/" + (is_index(part) && position(part) != std::string::npos ? std::to_string(position(part)) : part);
    resolved[nlohmann::json::json_pointer(pointer)] = value;
  }

  [[noreturn]] void wrong_type(const std::string& key, const char* expected, const toml::node& n) const {
    std::ostringstream got;
    got << n.type();
    throw input_error(key + ": expected " + expected + ", got " + got.str() + " (in " + source + ")");
  }

  void collect_unused(const toml::node& node, const std::string& prefix, std::vector<std::string>& out) const {
    if (const auto* t = node.as_table()) {
      for (const auto& [k, v] : *t) collect_unused(v, prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str()), out);
    } else if (const auto* a = node.as_array(); a && !a->empty() && a->front().is_table()) {
      for (std::size_t i = 0; i < a->size(); ++i) collect_unused(*a->get(i), prefix + "." + std::to_string(i + 1), out);
    } else if (!used.count(prefix)) {
      out.push_back(prefix);
    }
  }
};

Config::Config() : impl_(std::make_unique<Impl>()) {}
Config::~Config() = default;
Config::Config(Config&&) noexcept = default;
Config& Config::operator=(Config&&) noexcept = default;

Config Config::parse(const std::string& text, const std::string& source) {
  Config c;
  c.impl_->source = source;
  check_config_nesting(text, source);
  try {
    c.impl_->input = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << source << ":" << e.source().begin.line << ": " << e.description();
    throw input_error(msg.str());
  }
  return c;
}

Config Config::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error("cannot open experiment file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

void Config::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw input_error("--set expects key=value, got '" + assignment + "'");
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  const auto parts = Impl::split(key);
  if (parts.size() > max_config_depth)
    throw input_error("--set " + shortened(key) + ": nested deeper than " + std::to_string(max_config_depth) +
                      " levels (" + std::to_string(parts.size()) + " parts)");
  check_config_nesting("v = " + text, "--set " + shortened(key), parts.size() - 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + text);
  } catch (const toml::parse_error&) {
    parsed.insert("v", text);
  }
  toml::node* node = &impl_->input;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (auto* t = node->as_table()) {
      if (!t->contains(parts[i])) t->insert(parts[i], toml::table{});
      node = t->get(parts[i]);
    } else if (auto* a = node->as_array(); a && Impl::is_index(parts[i])) {
      const std::size_t at = Impl::position(parts[i]);
      if (at == std::string::npos || at >= a->size())
        throw input_error("--set " + printable(shortened(key)) + ": there is no entry " + shortened(parts[i]) + " (entries count from 1, and there are " +
                          std::to_string(a->size()) + ")");
      node = a->get(at);
    } else {
      throw input_error("--set " + shortened(key) + ": '" + shortened(parts[i]) + "' is not a table");
    }
  }
  auto* t = node->as_table();
  if (!t) throw input_error("--set " + shortened(key) + ": cannot set inside a non-table");
  t->insert_or_assign(parts.back(), *parsed.get("v"));
}

std::optional<nlohmann::json> Config::take_table(const std::string& key) {
  const toml::node* node = impl_->input.get(key);
  if (!node) return std::nullopt;
  const auto* table = node->as_table();
  if (!table) impl_->wrong_type(key, "a table", *node);
  std::ostringstream json;
  json << toml::json_formatter{*table};
  nlohmann::json taken = nlohmann::json::parse(json.str());
  impl_->input.erase(key);
  return taken;
}

bool Config::has(const std::string& key) const { return impl_->find(key) != nullptr; }

std::size_t Config::count(const std::string& key) const {
  const auto* n = impl_->find(key);
  if (!n) return 0;
  const auto* a = n->as_array();
  if (!a) throw input_error(key + ": expected an array of tables ([[" + key + "]])");
  for (const auto& e : *a)
    if (!e.is_table()) throw input_error(key + ": every entry must be a table ([[" + key + "]])");
  return a->size();
}

double Config::get(const std::string& key, double fallback) {
  double v = fallback;
  if (const auto* n = impl_->find(key)) {
    if (auto f = n->value<double>(); f && (n->is_floating_point() || n->is_integer())) v = *f;
    else impl_->wrong_type(key, "a number", *n);
  }
  impl_->record(key, v);
  return v;
}

long Config::get(const std::string& key, long fallback) {
  long v = fallback;
  if (const auto* n = impl_->find(key)) {
    if (const auto* i = n->as_integer()) v = static_cast<long>(i->get());
    else impl_->wrong_type(key, "an integer", *n);
  }
  impl_->record(key, v);
  return v;
}

bool Config::get(const std::string& key, bool fallback) {
  bool v = fallback;
  if (const auto* n = impl_->find(key)) {
    if (const auto* b = n->as_boolean()) v = b->get();
    else impl_->wrong_type(key, "true or false", *n);
  }
  impl_->record(key, v);
  return v;
}

std::string Config::get(const std::string& key, const std::string& fallback) {
  std::string v = fallback;
  if (const auto* n = impl_->find(key)) {
    if (const auto* s = n->as_string()) v = s->get();
    else impl_->wrong_type(key, "a string", *n);
  }
  impl_->record(key, v);
  return v;
}

std::vector<double> Config::get(const std::string& key, const std::vector<double>& fallback) {
  std::vector<double> v = fallback;
  if (const auto* n = impl_->find(key)) {
    const auto* a = n->as_array();
    if (!a) impl_->wrong_type(key, "an array of numbers", *n);
    v.clear();
    for (const auto& e : *a) {
      auto f = e.value<double>();
      if (!f || !(e.is_floating_point() || e.is_integer())) impl_->wrong_type(key, "an array of numbers", e);
      v.push_back(*f);
    }
  }
  impl_->record(key, v);
  return v;
}

std::string Config::get_number_or_text(const std::string& key, const std::string& fallback) {
  if (const auto* n = impl_->find(key); n && (n->is_floating_point() || n->is_integer())) {
    const double v = *n->value<double>();
    impl_->record(key, v);
    std::ostringstream ss;
    ss.precision(17);
    ss << v;
    return ss.str();
  }
  return get(key, fallback);
}

void Config::check_all_used() const {
  std::vector<std::string> unused;
  impl_->collect_unused(impl_->input, "", unused);
  if (!unused.empty()) throw input_error("unknown key '" + shortened(unused.front()) + "' (in " + impl_->source + ")");
}

const nlohmann::json& Config::resolved() const { return impl_->resolved; }

}  // namespace gradflow
