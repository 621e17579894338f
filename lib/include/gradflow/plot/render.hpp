#pragma once
// Rendering a figure: a gnuplot template from plots/ (plots/<template>.gp) loaded after the
// figure's string variables, the terminal and the output are set. All text reaches gnuplot
// through core/quote.hpp.
//
// What rendering guarantees:
//   - gnuplot reads at most RenderOptions::max_points rows of each data file: longer CSVs are
//     thinned (plot/thin.hpp) into a temporary folder that gnuplot reads instead;
//   - each image is written to a temporary name in its folder (.<name>.png.part) and renamed
//     into place only when gnuplot exited cleanly within RenderOptions::timeout_seconds, so a
//     folder never holds an empty or partial figure; after a failure neither the partial image
//     nor an earlier drawing of the figure is left;
//   - gnuplot's messages are kept in <stem>.gnuplot.log (removed when it printed nothing), and
//     summed up in one line naming the figure (Rendered::report).
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace gradflow {

/// One figure, planned (plot/plan.hpp) and ready to render.
struct Figure {
  std::string template_name;  ///< e.g. "loss" for plots/loss.gp
  std::string stem;           ///< output path without extension
  std::vector<std::pair<std::string, std::string>> variables;  ///< gnuplot string variables
  int width = 900, height = 560;
  /// The data files the template reads, relative to the render folder (thinned when long).
  std::vector<std::string> data = {};
  std::string x_column = "t";  ///< the x axis of the data files (the thinning follows it)
  /// The columns drawn from them: thinning keeps each one's extremes (plot/thin.hpp).
  std::vector<std::string> y_columns = {};
  bool log_x = false;          ///< the x axis is logarithmic
  bool svg = true;             ///< <stem>.svg besides <stem>.png

  /// The value of a variable ("" when unset).
  std::string variable(const std::string& name) const;
};

struct RenderOptions {
  std::size_t max_points = 2000;  ///< rows per data file that gnuplot reads, at most
  double timeout_seconds = 120;   ///< gnuplot is stopped after this long (0: no limit)
};

/// What render_figure() did.
struct Rendered {
  std::string script;  ///< the exact command text sent to gnuplot
  std::string errors;  ///< what gnuplot printed on its error stream (empty when clean)
  bool drawn = false;  ///< the images were written (renamed into place)
  /// One line naming the figure when it was not drawn or gnuplot warned ("" when clean).
  std::string report;
  std::size_t data_rows = 0;  ///< the most rows gnuplot read from one data file
};

/// Renders the figure as <stem>.png (and <stem>.svg) with its data files read relative to `dir`.
Rendered render_figure(const Figure& figure, const std::string& dir, const RenderOptions& options = {});

/// As render_figure(); returns its report line with a newline ("" when it rendered cleanly).
std::string render(const Figure& figure, const std::string& dir, const RenderOptions& options = {});

/// True when a gnuplot executable is on PATH.
bool gnuplot_available();

/// A number for a template. gnuplot's string-to-number conversion reads "1e-05" as the
/// integer 1 followed by junk (an error), so a mantissa always gets a decimal point.
std::string gnuplot_number(double v);

/// A list for gnuplot's word()/words(): items separated by spaces, an item holding spaces
/// wrapped in double quotes (which word() honours; a double quote inside becomes ').
std::string gnuplot_words(const std::vector<std::string>& items);

}  // namespace gradflow
