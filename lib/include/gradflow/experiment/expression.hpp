#pragma once
// Numbers in an experiment that depend on the run, such as damping = "sqrt(2*lambda0)":
// + − * / ^, parentheses, sqrt(), exp(), log(), min(a, b, ...), max(a, b, ...) and named variables.
#include <map>
#include <string>

namespace gradflow {

/// Deepest nesting of parentheses, '^' and unary '-' that an expression may use.
inline constexpr int max_expression_depth = 200;

/// Evaluates `text`; throws input_error naming `key` on a syntax error, an unknown variable
/// or nesting deeper than max_expression_depth.
double evaluate_expression(const std::string& text, const std::map<std::string, double>& variables,
                           const std::string& key);

/// The same, but an infinite or undefined result is returned rather than refused (variables
/// may be +inf: a recipe's censored count).
double evaluate_extended(const std::string& text, const std::map<std::string, double>& variables,
                         const std::string& key);

/// Whether `text` names the variable `name` (a whole word: lambda0 is not in lambda0x).
bool uses_variable(const std::string& text, const std::string& name);

}  // namespace gradflow
