#pragma once
// What the parts of `gradflow reproduce` share (internal to lib/src/experiment/recipe/):
// parse.cpp reads recipes, metrics.cpp evaluates metric@method values over a variant's runs,
// claims.cpp checks claims, report.cpp runs the variants and writes tables, figures and
// report.md.
#include "gradflow/core/types.hpp"
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gradflow/experiment/recipe.hpp"
#include "gradflow/experiment/runner.hpp"

namespace gradflow::recipe_detail {

constexpr double never = std::numeric_limits<double>::infinity();  ///< a level not reached within the run
inline const char* const kSizes[] = {"tiny", "default", "full"};

[[noreturn]] inline void bad(const std::string& recipe, const std::string& key, const std::string& why) {
  throw input_error("recipe " + recipe + ": " + key + ": " + why);
}

/// One variant's runs (one per repeat) and theory reports.
struct VariantRuns {
  const RecipeVariant* variant = nullptr;
  std::vector<RunResult> runs;
  std::vector<nlohmann::json> theory;
  std::string dir;
  const std::vector<VariantRuns>* siblings = nullptr;  ///< every variant, for metric@method[label] terms
};

// metrics.cpp
const MethodResult& find_method(const RunResult& run, const std::string& name, const std::string& where);
/// A column of a method (an error naming it when absent).
std::vector<double> column(const MethodResult& m, const std::string& col, const std::string& where);
/// One metric (final_loss, t_below(1e-3), ...) of one method's run.
double method_metric(const std::string& metric, const MethodResult& m, const nlohmann::json& theory,
                     const RunResult& run, const std::string& where);
/// A variant's theory numbers, λ0, L(0) and x, averaged over its repeats.
std::map<std::string, double> variables(const VariantRuns& v);
double mean_finite(const std::vector<double>& v);
/// Evaluates a value expression for one variant (metric@method terms averaged over repeats).
double value(const std::string& text, const VariantRuns& v, const std::string& where);
/// The expression evaluated on each repeat alone (its own runs and theory numbers).
std::vector<double> seed_values(const std::string& text, const VariantRuns& v, const std::string& where);
/// Sample standard deviation of the finite entries (0 when fewer than 2).
double sample_sd(const std::vector<double>& v);
/// value() with the seed-to-seed spread of seed_values() and whether it is censored.
ClaimValue claim_value(const std::string& text, const VariantRuns& v, const std::string& where);

// claims.cpp
std::string fmt(double v);
/// "mean ± spread" (just the mean when the spread is 0 or the value is not finite).
std::string fmt(const ClaimValue& v);
/// Text for a markdown table cell: '|' would end the cell.
std::string cell(const std::string& text);
ClaimResult check(const RecipeClaim& c, const std::vector<VariantRuns>& vs, const std::string& where);
/// A claim's or a figure's `variants`: empty selects every variant.
bool selected(const std::vector<std::string>& labels, const RecipeVariant& v);

// report.cpp
std::string slug(const std::string& label);
/// The experiment of one variant at one size (parse.cpp checks every one of them).
Experiment variant_experiment(const Recipe& r, const RecipeVariant& v, const std::string& size,
                              const std::vector<std::string>& extra);

}  // namespace gradflow::recipe_detail
