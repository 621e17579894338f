#include "gradflow/experiment/expression.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"

namespace gradflow {
namespace {

/// Recursive descent: sum := product (('+'|'-') product)*, product := power (('*'|'/') power)*,
/// power := unary ('^' power)?, unary := '-' unary | atom,
/// atom := number | name | name '(' sum (',' sum)* ')' | '(' sum ')'.
/// Nesting (parentheses, '^' chains, repeated '-') is limited so that hostile input cannot
/// exhaust the stack: every cycle of the recursion passes through one Nested guard.
class Parser {
 public:
  Parser(const std::string& text, const std::map<std::string, double>& vars, const std::string& key)
      : s_(text), vars_(vars), key_(key) {}

  double parse() {
    const double v = sum();
    skip();
    if (i_ != s_.size()) fail("unexpected '" + shortened(s_.substr(i_)) + "'");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw input_error(key_ + ": cannot evaluate \"" + shortened(s_) + "\": " + why);
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  double sum() {
    double v = product();
    for (;;) {
      if (eat('+')) v += product();
      else if (eat('-')) v -= product();
      else return v;
    }
  }
  double product() {
    double v = power();
    for (;;) {
      if (eat('*')) v *= power();
      else if (eat('/')) v /= power();
      else return v;
    }
  }
  struct Nested {
    explicit Nested(Parser& p) : p_(p) {
      if (++p_.depth_ > max_expression_depth)
        p_.fail("nested deeper than " + std::to_string(max_expression_depth) + " levels");
    }
    ~Nested() { --p_.depth_; }
    Parser& p_;
  };
  double power() {
    const double base = unary();
    if (!eat('^')) return base;
    const Nested guard(*this);
    return std::pow(base, power());
  }
  double unary() {
    if (!eat('-')) return atom();
    const Nested guard(*this);
    return -unary();
  }
  double atom() {
    skip();
    if (eat('(')) {
      const Nested guard(*this);
      const double v = sum();
      if (!eat(')')) fail("missing ')'");
      return v;
    }
    if (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.')) {
      char* end = nullptr;
      const double v = std::strtod(s_.c_str() + i_, &end);
      i_ = static_cast<std::size_t>(end - s_.c_str());
      return v;
    }
    std::size_t j = i_;
    while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_')) ++j;
    if (j == i_) fail("expected a number or a name");
    const std::string name = s_.substr(i_, j - i_);
    i_ = j;
    if (eat('(')) {
      const Nested guard(*this);
      std::vector<double> args{sum()};
      while (eat(',')) args.push_back(sum());
      if (!eat(')')) fail("missing ')'");
      if (name == "min" || name == "max")
        return name == "min" ? *std::min_element(args.begin(), args.end()) : *std::max_element(args.begin(), args.end());
      if (args.size() != 1) fail(name + "() takes one argument");
      if (name == "sqrt") return std::sqrt(args[0]);
      if (name == "exp") return std::exp(args[0]);
      if (name == "log") return std::log(args[0]);
      fail("unknown function '" + name + "'");
    }
    const auto it = vars_.find(name);
    if (it == vars_.end()) {
      std::string known;
      for (const auto& [k, v] : vars_) known += (known.empty() ? "" : ", ") + k;
      fail("unknown name '" + name + "' (known: " + known + ")");
    }
    return it->second;
  }

  const std::string& s_;
  const std::map<std::string, double>& vars_;
  const std::string& key_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

double evaluate_extended(const std::string& text, const std::map<std::string, double>& variables,
                         const std::string& key) {
  return Parser(text, variables, key).parse();
}

double evaluate_expression(const std::string& text, const std::map<std::string, double>& variables,
                           const std::string& key) {
  const double v = evaluate_extended(text, variables, key);
  if (!std::isfinite(v)) throw input_error(key + ": \"" + shortened(text) + "\" evaluates to " + std::to_string(v));
  return v;
}

bool uses_variable(const std::string& text, const std::string& name) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::size_t i = 0; i < text.size();) {
    if (!word(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && word(text[j])) ++j;
    if (text.compare(i, j - i, name) == 0 && j - i == name.size()) return true;
    i = j;
  }
  return false;
}

}  // namespace gradflow
