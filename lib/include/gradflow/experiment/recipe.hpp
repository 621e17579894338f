#pragma once
// Reproduction recipes (`gradflow reproduce NAME`): data, not code. A recipe is a TOML file
// (recipes/NAME.toml, shipped as resource_path("recipes/NAME.toml")):
//
//   title = "Du et al. 2019: ..."          # one line
//   paper = "Du, Zhai, Poczos, Singh, ICLR 2019 (seed 003)"
//   claim = "the paper's claim, as text"
//   description = "what is run"
//   figure = { method = "gf", columns = ["loss", "pattern_change"], logy = [true, false] }
//                                          # optional: overlay of the variants (one PNG per column);
//                                          # reference = "ode" also draws that method once,
//                                          # time_times_x = true plots against t·x,
//                                          # xu_bound = true adds f(eta*, 0)^t L(0) per variant,
//                                          # variants = [labels] draws only those, name = "relu"
//                                          # suffixes the files (figures = [...] holds several)
//   [base]                                 # an experiment, the schema of `gradflow run` files
//                                          # (a relative data.path resolves against recipes/)
//   ...
//   [sizes]                                # overrides applied to every variant, per size
//   tiny = ["data.n=10", ...]              #   the test suite's size
//   default = [...]                        #   `gradflow reproduce NAME`
//   full = [...]                           #   `--full`: the paper's size
//   [repeats]                              # optional: seeds per variant (metrics are means)
//   tiny = 1
//   default = 3
//   full = 50
//   [[variants]]
//   label = "m=100"                        # names the variant's folder (spaces etc. replaced)
//   x = 100                                # optional: the variant's abscissa in the summary
//   set = ["model.width=100"]              # key overrides (the `--set` syntax)
//   full = ["model.width=4000"]            # optional: more overrides per size (tiny/default/full)
//   [[tables]]                             # optional: a table of means ± seed-to-seed sd over the repeats
//   title = "iterations to reach L* + 1e-8"
//   metric = "iterations_below(loss,loss_star+1e-8)"   # a metric (below), rows = variants
//   methods = ["gd"]                       # optional: the columns (default every method)
//   paper = { "m=100" = 18.9 }             # optional: the paper's value per variant label, printed
//   paper_label = "slide"                  #   beside the measured one (and, for one method, the difference)
//   [[claims]]                             # checked by a generic mechanism, see below
//   text = "wider is faster"               # what is checked, in words
//   paper = "larger width => faster convergence"   # the paper's statement it stands for
//   kind = "trend" | "compare" | "monotone"
//   about_not_reaching = false             # optional, see "Verdicts"
//
// Claim kinds:
//   trend     `metric` (a value, below) is `direction` = "increasing" | "decreasing" over the
//             variants in file order (or those in `variants`) (strictly, beyond a relative tolerance `tol`, default 0,
//             and beyond the seed-to-seed spread, see "Verdicts").
//   compare   `lhs` `op` `rhs` (op one of < <= > >=) in every variant (or those in `variants`,
//             a list of labels).
//   monotone  column `column` of method `method` is non-increasing in t (`direction` =
//             "nonincreasing", default, or "nondecreasing") from t >= `after` (an expression,
//             default 0) in every variant; `expect = false` says the paper's theory does
//             *not* promise it (PASS then means "behaves as the theory says", either way the
//             report states where it fails).
// Verdicts: PASS, FAIL or INCONCLUSIVE.
//   FAIL          the measured means contradict the claim (or a value is undefined, NaN).
//   INCONCLUSIVE  the means agree with the claim, but a value is censored: a level was not
//                 reached within the run in some seed ("not reached"), so the count is only
//                 known to exceed the budget; or a trend step does not exceed the seed-to-seed
//                 spread, sqrt(s_a² + s_b²) with s the sample standard deviation over the
//                 repeats of each variant's value (0 with one seed: one seed has no spread).
//                 A censored value fails the claim as usual when the claim says so
//                 (a censored count is +inf), it never passes it.
//   PASS          otherwise.
//   A claim about a level *not* being reached sets about_not_reaching = true: "not reached"
//   is then its measurement, ordered after every reached count, and may pass it.
// `gradflow reproduce` exits 0 once every variant ran, whatever the verdicts (they are results,
// printed with their counts on the last line, and in report.md and summary.json); bad input
// exits 2.
// Values: an expression (expression.hpp grammar) over
//   metric@method terms: fitted_rate, final_loss, t_reached, iterations, initial_loss,
//                        max(col), min(col), last(col), first(col), increases(col) (number of
//                        samples where col grows), t_below(col,level) (first sample time with
//                        col < level; level may be an expression over the theory numbers, e.g.
//                        loss_star+1e-8), iterations_below(col,level) (the same as a step count
//                        k = t/η, or t/√η for momentum methods), max_ratio(a,b) (max over samples
//                        of a/b), max_t_pow(col,p) (max over t > 0 of t^p col), max_diff(col,other) (max over samples of |col − col of method
//                        `other`|, the other interpolated in t), xu_bound_ratio
//                        (max_k L_k / (f(η,0)^k L0))
//   run quantities:      lambda0, lambda_min_h0, loss0, x (the variant's abscissa),
//                        every top-level number of theory_report (alpha0, eta_star, ...) and
//                        its per-method numbers as <method>__<key> (nag_g7__t_star)
//   metric@method[label] takes the method of the variant labelled `label` instead (a claim
//                        across models: lhs = "final_loss@train", rhs = "final_loss@train[depth 1]")
// e.g. lhs = "fitted_rate@hbf", op = ">", rhs = "fitted_rate@gf"; or
//      lhs = "fitted_rate@gf", op = ">=", rhs = "lambda0".
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gradflow {

struct RecipeVariant {
  std::string label;
  double x = 0.0;
  bool has_x = false;
  std::vector<std::string> set;
  std::map<std::string, std::vector<std::string>> per_size;
};

struct RecipeClaim {
  std::string text, paper, kind;
  std::string metric, direction;   ///< trend; monotone direction
  std::string lhs, op, rhs;        ///< compare
  std::string method, column, after;  ///< monotone
  bool expect = true;
  bool about_not_reaching = false;  ///< "not reached" is the claim's measurement, not a censored one
  double tol = 0.0;
  std::vector<std::string> variants;  ///< compare / monotone: restrict to these labels
};

struct RecipeFigure {
  std::string method;
  std::vector<std::string> columns;
  std::vector<bool> logy;
  std::string reference;     ///< optional: a method drawn once (from the first variant), e.g. a closed form
  bool time_times_x = false; ///< plot against t·x (x the variant's abscissa), e.g. Chizat–Bach time
  bool xu_bound = false;     ///< also draw Xu et al.'s bound f(η*, 0)^t L(0) of each variant (t in steps)
  std::vector<std::string> variants;  ///< optional: only these labels (default every variant)
  std::string name;          ///< optional: file suffix, <column>_<method>_<name>.png, for several subsets
  /// <column>_<method>[_<name>], the figure's file stem.
  std::string stem(const std::string& column) const { return column + "_" + method + (name.empty() ? "" : "_" + name); }
};

/// A `[[tables]]` entry: the mean of `metric` over the repeats, one row per variant, one
/// column per method (all, or those listed in `methods`), printed in report.md.
/// Optional `paper = { "normal/over" = 18.92, ... }` and `paper_label = "slide"`: the paper's
/// value per variant, printed beside the measured one with the difference.
struct RecipeTable {
  std::string title, metric;
  std::vector<std::string> methods;
  std::map<std::string, double> paper;
  std::string paper_label = "paper";
};

struct Recipe {
  std::string name, title, paper, claim, description;
  std::string dir;        ///< folder of the recipe file: relative data.path values resolve here
  std::string base_toml;  ///< the [base] table as TOML text
  std::map<std::string, std::vector<std::string>> sizes;
  std::map<std::string, long> repeats;
  std::vector<RecipeVariant> variants;
  std::vector<RecipeClaim> claims;
  std::vector<RecipeFigure> figures;
  std::vector<RecipeTable> tables;
};

/// Parses recipe text; `name` is the recipe's name (file stem). Checks the structure and that
/// every variant at every listed size parses as an experiment. Throws input_error.
Recipe parse_recipe(const std::string& text, const std::string& name);
/// As parse_recipe, with `dir` the folder relative data.path values resolve against.
Recipe parse_recipe_in(const std::string& text, const std::string& name, const std::string& dir);
Recipe load_recipe(const std::filesystem::path& path);
/// resource_path("recipes/NAME.toml"), loaded.
Recipe find_recipe(const std::string& name);
/// Names of the shipped recipes (sorted) and their titles.
std::vector<std::pair<std::string, std::string>> list_recipes();

struct ReproduceOptions {
  std::string size = "default";  ///< tiny | default | full
  std::string out;               ///< output folder (required)
  bool figures = true;           ///< render figures when gnuplot is available
  bool quiet = true;             ///< no progress lines on stderr
  std::vector<std::string> sets; ///< extra overrides applied last to every variant
};

enum class Verdict { pass, fail, inconclusive };
/// "PASS", "FAIL", "INCONCLUSIVE".
const char* to_string(Verdict v);

/// One variant's value of a claim: the mean over the repeats, the sample standard deviation of
/// the per-seed values (0 for one seed) and whether some seed did not reach a level (the mean
/// is then +inf, "not reached").
struct ClaimValue {
  double mean = 0.0;
  double spread = 0.0;
  bool censored = false;
};

/// The verdict of a trend over variants in order (the rules under "Verdicts" above).
Verdict trend_verdict(const std::vector<ClaimValue>& values, const std::string& direction, double tol,
                      bool about_not_reaching);
/// The verdict of `lhs op rhs` over variants: FAIL if it fails in one, else INCONCLUSIVE if a
/// side is censored (unless about_not_reaching), else PASS; no pairs is FAIL.
Verdict compare_verdict(const std::vector<std::pair<ClaimValue, ClaimValue>>& sides, const std::string& op,
                        bool about_not_reaching);

struct ClaimResult {
  RecipeClaim claim;
  bool pass = false;     ///< verdict == Verdict::pass
  Verdict verdict = Verdict::fail;
  std::string measured;  ///< the numbers, in words (means ± seed-to-seed spread)
};

struct ReproduceResult {
  std::vector<ClaimResult> claims;
  nlohmann::json summary;     ///< per variant: theory numbers and per-method metrics
  std::string report_path;    ///< <out>/report.md
  std::string tables_text;    ///< the [[tables]] as markdown (also in report.md)
  bool all_pass() const;
  /// Number of claims with this verdict.
  long count(Verdict v) const;
  /// "8 PASS, 1 FAIL, 2 INCONCLUSIVE (of 11 claims)".
  std::string counts_text() const;
};

/// Checks the size and builds every variant's experiment (keys, types, --set overrides)
/// without running anything, so bad input is refused before a folder is written.
void check_reproduce(const Recipe& recipe, const ReproduceOptions& options);

/// Runs every variant (writing <out>/<variant>/ run folders), the summary (<out>/summary.csv,
/// <out>/summary.json), the overlay figures and <out>/report.md.
ReproduceResult reproduce(const Recipe& recipe, const ReproduceOptions& options);

/// The claims with PASS/FAIL and the measured numbers, for the terminal.
std::string reproduce_text(const Recipe& recipe, const ReproduceResult& result);

}  // namespace gradflow
