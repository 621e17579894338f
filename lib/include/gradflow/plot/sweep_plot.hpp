#pragma once
// `gradflow sweep-plot OUT --x KEY --y METRIC`: a metric of sweep.csv against one axis, the
// median and interquartile band over the other rows at each x (the --over axis, seeds usually),
// one series per method and combination of the remaining axes, with a fitted power law.
#include <optional>
#include <string>
#include <vector>

namespace gradflow {

struct SweepPlotOptions {
  std::string x;                     ///< an axis (a column of sweep.csv), numeric
  std::string y;                     ///< a metric column, or "a/b": the ratio of two columns
  std::string over = "seed";         ///< the axis summarised by median and band (must be an axis)
  std::vector<std::string> methods;  ///< only these methods (default all)
  std::optional<double> hline;       ///< a horizontal reference line, e.g. 0.5 for λ_min/λ0
  std::string hline_title;
  bool fit = true;                   ///< draw the fitted power law of each series
};

/// y ≈ prefactor · x^exponent, fitted to the medians in log-log (NaN with fewer than two x > 0).
struct PowerLaw {
  double exponent, prefactor;
};
PowerLaw fit_power_law(const std::vector<double>& x, const std::vector<double>& y);

struct SweepSeries {
  std::string label;  ///< "gf" or "gf, model.rtol=1e-6"
  std::vector<double> x, median, low, high;  ///< per distinct x, ascending; low/high the quartiles
  std::vector<std::size_t> count;            ///< rows aggregated at each x
  PowerLaw fit;
};

/// The series of OUT/sweep.csv. Throws input_error naming a missing column or an empty selection.
std::vector<SweepSeries> sweep_series(const std::string& out, const SweepPlotOptions& options);

/// Writes the series' data under OUT/plot_data/ and draws OUT/<stem>.png and .svg with
/// plots/sweep.gp; returns the stem (without folder) and gnuplot's report line ("" when clean).
std::pair<std::string, std::string> render_sweep_plot(const std::string& out, const SweepPlotOptions& options,
                                                      const std::vector<SweepSeries>& series);

}  // namespace gradflow
