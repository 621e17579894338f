#pragma once
// The figures of a run or compare folder, drawn by gnuplot from the templates in plots/ (one
// .gp file per figure kind). Three steps, one header each:
//   plot/run_folder.hpp  reading run.json, the methods' CSVs and compare.csv;
//   plot/plan.hpp        planning: which figures, which (file, column, title) series, colours,
//                        ranges and titles, as Figure descriptions (the figure kinds and the
//                        compare.csv schema are listed there);
//   plot/render.hpp      rendering a Figure: template variables, thinning long CSVs, gnuplot
//                        run with a time limit, images renamed into place only when drawn.
// Templates read the CSVs by column name; a finished run can be redrawn after editing a
// template (`gradflow plot DIR`).
#include <string>
#include <vector>

#include "gradflow/plot/plan.hpp"
#include "gradflow/plot/render.hpp"
#include "gradflow/plot/run_folder.hpp"

namespace gradflow {

/// (Re)draws every figure of a finished run folder from its run.json and CSVs, and the
/// compare figure when the folder holds compare.csv (a folder with compare.csv and no
/// run.json, as `gradflow compare` writes it, gets the compare figure only). Stale images of
/// figure kinds the run no longer has are removed. Returns one line per figure that was not
/// drawn or drew with gnuplot warnings, each naming the figure (empty when all were clean).
std::string render_run_figures(const std::string& dir, const RenderOptions& options = {});

/// Draws plan_compare_figure(dir). Returns its report line ("" when clean).
std::string render_compare_figure(const std::string& dir, const RenderOptions& options = {});

/// The figure files present in a run folder, by kind then extension (e.g. "loss.png",
/// "loss.svg", "ntk.png"): what render_run_figures() or render_compare_figure() left there.
std::vector<std::string> figure_files(const std::string& dir);

}  // namespace gradflow
