#pragma once
// Planning figures: which figures a run folder or compare.csv gets, which (file, column,
// title) series each one shows, their colours, ranges and titles, as Figure descriptions
// for plot/render.hpp. Method and model kinds are read from their descriptors
// (registry/), never from their names. Nothing is drawn here.
//
// Colours: every flow its own; a discrete method (MethodKind::space discrete) the colour of
// its flow twin (MethodKind::twins, the first) when the run has it, drawn thin with open markers.
//
// Figure kinds of a run folder (each written as <kind>.png and <kind>.svg, and skipped when
// no method has its columns):
//   loss        loss against t, every method, log y; a method's `bound` column dashed in its
//               colour; for runs of a gradient flow (MethodKind::gradient_flow) on a kernel
//               H∞ without bound columns, Du et al.'s L(0)·exp(−c·λ0·t)
//   lyapunov    pseudo_loss, siegel, su, su_corrected against t, one panel each (log y when
//               the panel has no negative value)
//   invariants  imbalance, balance (drift from t = 0) against t, log y, flows against
//               discrete methods
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
#include <vector>

#include "gradflow/plot/render.hpp"
#include "gradflow/plot/run_folder.hpp"

namespace gradflow {

/// The figures of a run (runs no gnuplot). Figures without data are left out.
std::vector<Figure> plan_run_figures(const RunFolder& run, const std::string& dir);

/// As above, reading the folder first. Throws input_error when run.json or a CSV is missing.
std::vector<Figure> plan_run_figures(const std::string& dir);

/// The deviation-against-η figure of <dir>/compare.csv (schema above); <dir>/compare.png/.svg.
/// Throws input_error when compare.csv is missing or lacks `method`, `eta` or every deviation.
Figure plan_compare_figure(const std::string& dir);

}  // namespace gradflow
