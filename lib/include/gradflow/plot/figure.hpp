#pragma once
// Figures drawn by gnuplot from the templates in plots/ (one .gp file per figure kind),
// through gnuplot-iostream. Templates read the run's CSVs by column name; the C++ side only
// decides which figures a run gets and which (file, column, title) series each one shows,
// and hands those lists to the template as gnuplot string variables. A finished run can be
// redrawn after editing a template (`gradflow plot DIR`).
//
// Colours: every flow its own; a discrete method (gd, hb, nag, nag_sc) the colour of its flow
// twin (gf, hbf, nag_flow, nag_sc_flow) when the run has it, drawn thin with open markers.
//
// Figure kinds of a run folder (each written as <kind>.png and <kind>.svg, and skipped when
// no method has its columns):
//   loss        loss against t, every method, log y; a method's `bound` column dashed in its
//               colour; for relu2 runs without bound columns, Du et al.'s L(0)·exp(−c·λ0·t)
//   lyapunov    pseudo_loss, siegel, su, su_corrected against t, one panel each (log y when
//               the panel has no negative value)
//   invariants  imbalance, balance (drift from t = 0) against t, log y, flows against
//               discrete methods (run.json kind gd, hb, nag, nag_sc)
//   ntk         λ_min(H(θ_t)) and ‖θ_t − θ_0‖ against t, two panels
//   compare     (only where compare.csv exists) deviations against η, log-log, fitted slopes
//
// compare.csv, one row per (method, η), header line first; the figure needs `method`, `eta`
// and at least one deviation column:
//   method                  name of the discrete method (e.g. gd, hb, nag): one series each
//   eta                     its step size η > 0
//   max_param_dev           max over the sample times of ‖θ_k − θ(kη)‖ against its flow
//   max_loss_dev            max over the sample times of |L(θ_k) − L(θ(kη))|
//   imbalance_drift         max over the sample times of the drift of the invariant
//                           (imbalance or balance) of the discrete method; nan when none
//   slope_<deviation>       optional, e.g. slope_max_param_dev: the least-squares slope of
//                           log(deviation) against log(η) over this method's rows, repeated
//                           on each of them. When absent the figure fits the slope itself.
// Any value may be `nan` (missing); non-positive deviations are left out of the log-log fit.
#include <string>
#include <utility>
#include <vector>

namespace gradflow {

struct Figure {
  std::string template_name;  ///< e.g. "loss" for plots/loss.gp
  std::string stem;           ///< output path without extension
  std::vector<std::pair<std::string, std::string>> variables;  ///< gnuplot string variables
  int width = 900, height = 560;

  /// The value of a variable ("" when unset).
  std::string variable(const std::string& name) const;
};

/// What render_figure() did.
struct Rendered {
  std::string script;  ///< the exact command text sent to gnuplot
  std::string errors;  ///< what gnuplot printed on its error stream (empty when clean)
};

/// Renders the figure as <stem>.png and <stem>.svg with the data files read relative to `dir`.
Rendered render_figure(const Figure& figure, const std::string& dir);

/// As render_figure(); returns gnuplot's error text only (empty when it rendered cleanly).
std::string render(const Figure& figure, const std::string& dir);

/// The figures a finished run folder gets (reads run.json and the CSVs; runs no gnuplot).
/// Figures without data are left out. Throws input_error when run.json or a CSV is missing.
std::vector<Figure> plan_run_figures(const std::string& dir);

/// (Re)draws every figure of a finished run folder from its run.json and CSVs, and the
/// compare figure when the folder holds compare.csv (a folder with compare.csv and no
/// run.json, as `gradflow compare` writes it, gets the compare figure only). Stale images of figure kinds the run
/// no longer has are removed. Returns the gnuplot error text of all figures (empty when all
/// rendered cleanly).
std::string render_run_figures(const std::string& dir);

/// The deviation-against-η figure of <dir>/compare.csv (schema above); <dir>/compare.png/.svg.
/// Throws input_error when compare.csv is missing or lacks `method`, `eta` or every deviation.
Figure plan_compare_figure(const std::string& dir);

/// Draws plan_compare_figure(dir). Returns gnuplot's error text (empty when clean).
std::string render_compare_figure(const std::string& dir);

/// The figure files present in a run folder, by kind then extension (e.g. "loss.png",
/// "loss.svg", "ntk.png"): what render_run_figures() or render_compare_figure() left there.
std::vector<std::string> figure_files(const std::string& dir);

/// True when a gnuplot executable is on PATH.
bool gnuplot_available();

}  // namespace gradflow
