#pragma once
// Live plotting while the methods run: a Sink that keeps the rows of every method seen so far
// and redraws them through gnuplot-iostream (data inline, `'-'` blocks) at a bounded rate.
//
//   LiveOptions o;                        // mode auto, column "loss", ≤ 4 redraws per second
//   o.columns = parse_live_columns("loss,siegel");
//   auto live = make_live_plot(o);        // never null; mode() == off when nothing is drawn
//   sinks.push_back(live.get());
//   run_experiment(e, sinks);
//   live->finish();                       // waits for gnuplot; do it before printing to stdout
//
// One panel per column (stacked), one series per method, each method in its own colour;
// a panel whose values are all ≥ 0 uses a log scale (non-positive values left out). Methods run
// one after another: finished methods stay on the plot, and each one's final state is drawn
// at on_end whatever the rate limit. The redraw interval also stretches to 20× the time a
// redraw takes, so drawing stays a small share of the run.
//
// Modes:
//   auto    DISPLAY set: a window (qt, wxt or x11, whichever this gnuplot has; without one,
//           falls through to the next case); otherwise, when stdout is a terminal, gnuplot's
//           `dumb` terminal drawn on stdout, redrawn in place; otherwise off
//   window  a window terminal (dumb when this gnuplot has none)
//   dumb    the dumb (text) terminal on stdout, ANSI colours and in-place redraw when stdout
//           is a terminal
//   sixel   the sixelgd terminal on stdout (each frame redrawn at the top of the cleared screen)
//   off     draws nothing (also what auto and the others become when gnuplot is missing)
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gradflow/observe/sink.hpp"

namespace gnuplotio {
class Gnuplot;
}

namespace gradflow {

enum class LiveMode { automatic, window, dumb, sixel, off };

/// "auto", "window", "dumb", "sixel", "off"; anything else throws input_error naming it.
LiveMode parse_live_mode(const std::string& text);
std::string to_string(LiveMode mode);

/// "loss,siegel" → {"loss", "siegel"} (spaces ignored); throws input_error on an empty list or item.
std::vector<std::string> parse_live_columns(const std::string& list);

struct LiveOptions {
  LiveMode mode = LiveMode::automatic;
  std::vector<std::string> columns{"loss"};  ///< one panel each, drawn against t
  double max_redraws_per_second = 4.0;       ///< upper bound on the redraw rate
  /// Terminal size: characters for dumb, pixels for window and sixel; 0 chooses (dumb: the
  /// width and height of the terminal on stdout, at most 120 × 40; window 900 × 600; sixel 800 × 480).
  int width = 0, height = 0;
  std::string title = "gradflow";
  std::size_t max_points = 1000;  ///< per series and frame (longer series are thinned)
  /// The command that runs gnuplot; empty means `gnuplot` (`gnuplot -persist` for a window),
  /// its error stream kept for errors(). Tests pass e.g. "cat > FILE" to capture everything
  /// that would be sent (no gnuplot is then needed), or "gnuplot > FILE" to capture a dumb plot.
  std::string gnuplot_command;
};

/// What auto and the fall-backs depend on.
struct LiveEnvironment {
  bool display = false;          ///< DISPLAY set and non-empty
  bool stdout_tty = false;       ///< isatty(stdout)
  bool gnuplot = false;          ///< a gnuplot on PATH
  std::string window_terminal;   ///< "qt", "wxt", "x11" or "" (none in this gnuplot, or not probed)
  int tty_columns = 0, tty_rows = 0;  ///< the size of the terminal on stdout (0 when unknown)
};

/// Reads the environment. probe_terminals runs `gnuplot -e "set terminal"` to find a window
/// terminal (a few tens of milliseconds); without it window_terminal stays empty.
LiveEnvironment detect_live_environment(bool probe_terminals = true);

/// The mode `requested` becomes in `env` (never automatic). A custom gnuplot command counts
/// as gnuplot being available.
LiveMode resolve_live_mode(LiveMode requested, const LiveEnvironment& env, bool custom_command = false);

class LivePlot final : public Observer {
 public:
  /// `mode` is the resolved mode (see resolve_live_mode); automatic is treated as off.
  LivePlot(LiveOptions options, LiveMode mode, const LiveEnvironment& env);
  ~LivePlot() override;
  LivePlot(const LivePlot&) = delete;
  LivePlot& operator=(const LivePlot&) = delete;

  void on_begin(const std::string& method, const std::vector<std::string>& columns) override;
  std::optional<Stop> on_sample(const std::string& method, const std::vector<double>& row) override;
  void on_end(const std::string& method, const Outcome& outcome) override;

  /// Closes the pipe and waits for gnuplot to draw what it was sent. Idempotent; the
  /// destructor calls it. Call it before writing to stdout yourself.
  void finish();

  LiveMode mode() const { return mode_; }
  long frames() const { return frames_; }  ///< frames sent so far
  /// What gnuplot wrote on its error stream (default command only; complete after finish()).
  const std::string& errors() const { return errors_; }
  /// One line for people: what is drawn where, or why nothing is.
  std::string description() const;

 private:
  struct Series {
    std::string method;
    std::vector<int> index;  ///< per option column: its index in the method's rows, or -1
    std::vector<std::vector<double>> rows;  ///< t, then the option columns (NaN when absent)
  };
  void draw();
  void send(const std::string& text);

  LiveOptions options_;
  LiveMode mode_;
  std::string terminal_;  ///< the `set terminal` line
  bool tty_ = false;      ///< dumb/sixel drawing on a terminal: redraw in place
  int width_ = 0, height_ = 0;
  std::unique_ptr<gnuplotio::Gnuplot> gp_;
  std::string error_log_;  ///< file holding gnuplot's stderr (default command)
  std::string errors_;
  bool broken_ = false;    ///< the pipe failed: stop drawing
  std::vector<Series> series_;
  int current_ = -1;
  long frames_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
  double interval_ = 0.25;  ///< seconds between redraws
};

/// Resolves options.mode in the current environment and builds the sink (mode off: a sink
/// that draws nothing). The CLI's `--live COLS` / `--no-live` map onto columns and mode.
std::unique_ptr<LivePlot> make_live_plot(const LiveOptions& options);

}  // namespace gradflow
