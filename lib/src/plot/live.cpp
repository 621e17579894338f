#include "gradflow/plot/live.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gnuplot-iostream.h>
#include <iomanip>
#include <sstream>
#include <utility>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"

namespace gradflow {
namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

std::string gp_string(const std::string& s) { return gnuplot_quote(s, "live plot text"); }

/// Ignores SIGPIPE while alive, so that a gnuplot that went away fails a write instead of
/// killing the run.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &saved_);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &saved_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction saved_ {};
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

LiveMode parse_live_mode(const std::string& text) {
  const std::string t = trim(text);
  if (t == "auto") return LiveMode::automatic;
  if (t == "window") return LiveMode::window;
  if (t == "dumb") return LiveMode::dumb;
  if (t == "sixel") return LiveMode::sixel;
  if (t == "off") return LiveMode::off;
  throw input_error("live plot mode '" + text + "' is not one of auto, window, dumb, sixel, off");
}

std::string to_string(LiveMode mode) {
  switch (mode) {
    case LiveMode::automatic: return "auto";
    case LiveMode::window: return "window";
    case LiveMode::dumb: return "dumb";
    case LiveMode::sixel: return "sixel";
    case LiveMode::off: return "off";
  }
  return "off";
}

std::vector<std::string> parse_live_columns(const std::string& list) {
  std::vector<std::string> cols;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (item.empty()) throw input_error("--live: '" + printable(list) + "' holds an empty name");
    require_identifier(item, "--live");
    if (std::find(cols.begin(), cols.end(), item) == cols.end()) cols.push_back(item);
  }
  if (cols.empty()) throw input_error("live plot columns: the list is empty");
  return cols;
}

LiveEnvironment detect_live_environment(bool probe_terminals) {
  LiveEnvironment env;
  const char* display = std::getenv("DISPLAY");
  env.display = display && *display;
  env.stdout_tty = isatty(STDOUT_FILENO) != 0;
  if (env.stdout_tty) {
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
      env.tty_columns = ws.ws_col;
      env.tty_rows = ws.ws_row;
    }
  }
  env.gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  if (env.gnuplot && probe_terminals) {
    // `set terminal` lists the terminals this gnuplot was built with, one per line, name first.
    if (FILE* p = popen("gnuplot -e 'set terminal' 2>&1 </dev/null", "r")) {
      std::string listing;
      char buf[4096];
      std::size_t got;
      while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) listing.append(buf, got);
      pclose(p);
      std::vector<std::string> names;
      std::stringstream lines(listing);
      std::string line;
      while (std::getline(lines, line)) {
        std::stringstream words(line);
        std::string first;
        if (words >> first) names.push_back(first);
      }
      for (const char* t : {"qt", "wxt", "x11"})
        if (std::find(names.begin(), names.end(), t) != names.end()) {
          env.window_terminal = t;
          break;
        }
    }
  }
  return env;
}

LiveMode resolve_live_mode(LiveMode requested, const LiveEnvironment& env, bool custom_command) {
  if (requested == LiveMode::off || (!env.gnuplot && !custom_command)) return LiveMode::off;
  switch (requested) {
    case LiveMode::automatic:
      if (env.display && !env.window_terminal.empty()) return LiveMode::window;
      return env.stdout_tty ? LiveMode::dumb : LiveMode::off;
    case LiveMode::window:
      return env.window_terminal.empty() ? LiveMode::dumb : LiveMode::window;
    default:
      return requested;
  }
}

LivePlot::LivePlot(LiveOptions options, LiveMode mode, const LiveEnvironment& env)
    : options_(std::move(options)), mode_(mode == LiveMode::automatic ? LiveMode::off : mode) {
  if (options_.columns.empty()) options_.columns = {"loss"};
  interval_ = 1.0 / std::max(options_.max_redraws_per_second, 1e-3);
  if (mode_ == LiveMode::off) return;
  const bool custom = !options_.gnuplot_command.empty();
  const int panels = static_cast<int>(options_.columns.size());
  tty_ = env.stdout_tty && !custom;
  switch (mode_) {
    case LiveMode::window:
      width_ = options_.width > 0 ? options_.width : 900;
      height_ = options_.height > 0 ? options_.height : 600 + 200 * (panels - 1);
      terminal_ = env.window_terminal.empty() ? "qt" : env.window_terminal;
      terminal_ += " size " + std::to_string(width_) + "," + std::to_string(height_) + " title " +
                   gp_string(options_.title + " (live)") + " noraise";
      break;
    case LiveMode::sixel:
      width_ = options_.width > 0 ? options_.width : 800;
      height_ = options_.height > 0 ? options_.height : 480 + 160 * (panels - 1);
      terminal_ = "sixelgd size " + std::to_string(width_) + "," + std::to_string(height_) + " truecolor";
      break;
    default: {  // dumb
      const int cols = env.tty_columns > 0 ? env.tty_columns : 80;
      const int rows = env.tty_rows > 0 ? env.tty_rows : 24;
      width_ = options_.width > 0 ? options_.width : std::min(cols, 120);
      // Leave room below the plot for a progress line, so the in-place redraw never scrolls.
      height_ = options_.height > 0 ? options_.height : std::clamp(rows - 4, 8, std::min(40, 20 + 10 * (panels - 1)));
      terminal_ = "dumb size " + std::to_string(width_) + "," + std::to_string(height_) + (tty_ ? " ansi" : " mono");
      break;
    }
  }
  std::string command = options_.gnuplot_command;
  if (!custom) {
    const auto log = std::filesystem::temp_directory_path() /
                     ("gradflow_live_" + std::to_string(::getpid()) + "_" +
                      std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".log");
    error_log_ = log.string();
    command = std::string(mode_ == LiveMode::window ? "gnuplot -persist" : "gnuplot") + " 2> " + shell_quote(error_log_, "live plot log") + " || true";
  }
  IgnoreSigpipe guard;
  try {
    gp_ = std::make_unique<gnuplotio::Gnuplot>(command);
  } catch (const std::exception&) {
    broken_ = true;
    return;
  }
  *gp_ << std::setprecision(9);
  std::ostringstream setup;
  setup << "set terminal " << terminal_ << "\n"
        << "set termoption noenhanced\n"
        << "set print '-'\n"
        << "set xlabel 't'\n"
        << "set grid\n"
        << "set key top right\n";
  send(setup.str());
}

LivePlot::~LivePlot() { finish(); }

void LivePlot::send(const std::string& text) {
  if (!gp_ || broken_) return;
  IgnoreSigpipe guard;
  *gp_ << text << std::flush;
  if (!*gp_) broken_ = true;
}

void LivePlot::on_begin(const std::string& method, const std::vector<std::string>& columns) {
  if (mode_ == LiveMode::off) return;
  auto it = std::find_if(series_.begin(), series_.end(), [&](const Series& s) { return s.method == method; });
  if (it == series_.end()) it = series_.insert(series_.end(), Series{method, {}, {}});
  it->rows.clear();
  it->index.clear();
  const auto t = std::find(columns.begin(), columns.end(), "t");
  it->index.push_back(t == columns.end() ? 0 : static_cast<int>(t - columns.begin()));
  for (const auto& c : options_.columns) {
    const auto at = std::find(columns.begin(), columns.end(), c);
    it->index.push_back(at == columns.end() ? -1 : static_cast<int>(at - columns.begin()));
  }
  current_ = static_cast<int>(it - series_.begin());
}

std::optional<Stop> LivePlot::on_sample(const std::string&, const std::vector<double>& row) {
  if (mode_ == LiveMode::off || current_ < 0) return std::nullopt;
  Series& s = series_[static_cast<std::size_t>(current_)];
  std::vector<double> kept(s.index.size(), std::nan(""));
  for (std::size_t k = 0; k < s.index.size(); ++k)
    if (s.index[k] >= 0 && static_cast<std::size_t>(s.index[k]) < row.size()) kept[k] = row[static_cast<std::size_t>(s.index[k])];
  s.rows.push_back(std::move(kept));
  if (seconds_since(last_draw_) >= interval_) draw();
  return std::nullopt;
}

void LivePlot::on_end(const std::string&, const Outcome&) {
  if (mode_ == LiveMode::off) return;
  draw();  // the final state of the method, whatever the rate limit
  current_ = -1;
}

void LivePlot::draw() {
  if (!gp_ || broken_) return;
  const auto start = std::chrono::steady_clock::now();
  last_draw_ = start;  // an attempt counts: a panel without data must not cost a scan per row
  using Points = std::vector<std::pair<double, double>>;
  struct Panel {
    std::string column;
    bool log = false;
    double ymin = 0, ymax = 0;
    std::vector<std::pair<int, Points>> series;  // (colour, points)
    std::vector<std::string> titles;
  };
  std::vector<Panel> panels;
  double xmin = INFINITY, xmax = -INFINITY;
  for (std::size_t k = 0; k < options_.columns.size(); ++k) {
    Panel p;
    p.column = options_.columns[k];
    // Log scale when every finite value is ≥ 0 and some are > 0.
    bool negative = false, positive = false;
    for (const auto& s : series_)
      for (const auto& r : s.rows) {
        negative = negative || (std::isfinite(r[k + 1]) && r[k + 1] < 0);
        positive = positive || (std::isfinite(r[k + 1]) && r[k + 1] > 0);
      }
    p.log = positive && !negative;
    p.ymin = INFINITY;
    p.ymax = -INFINITY;
    for (std::size_t si = 0; si < series_.size(); ++si) {
      const auto& rows = series_[si].rows;
      Points pts;
      const std::size_t stride = std::max<std::size_t>(1, (rows.size() + options_.max_points - 1) / std::max<std::size_t>(options_.max_points, 2));
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i % stride != 0 && i + 1 != rows.size()) continue;
        const double t = rows[i][0], y = rows[i][k + 1];
        if (!std::isfinite(t) || !std::isfinite(y) || (p.log && y <= 0)) continue;
        pts.emplace_back(t, y);
        p.ymin = std::min(p.ymin, y);
        p.ymax = std::max(p.ymax, y);
        xmin = std::min(xmin, t);
        xmax = std::max(xmax, t);
      }
      if (pts.empty()) continue;
      p.series.emplace_back(static_cast<int>(si) + 1, std::move(pts));
      p.titles.push_back(series_[si].method);
    }
    if (!p.series.empty()) panels.push_back(std::move(p));
  }
  // Nothing to show yet, or a single instant (gnuplot would warn about an empty x range).
  if (panels.empty() || !(xmax > xmin)) return;

  std::ostringstream cmd;
  cmd << std::setprecision(9);
  if (tty_ && mode_ == LiveMode::dumb) {
    // The dumb terminal writes a form feed (a line feed on terminals) and height_ lines; go
    // back over them (and over print's own newline) to redraw in place.
    if (frames_ == 0)
      cmd << "print \"\\r\\033[K\"\n";
    else
      cmd << "print \"\\033[" << height_ + 2 << "A\\r\"\n";
  } else if (tty_ && mode_ == LiveMode::sixel) {
    cmd << "print \"\\033[H\\033[J\"\n";
  }
  const bool multi = panels.size() > 1;
  if (multi)
    cmd << "set multiplot layout " << panels.size() << ",1 title " << gp_string(options_.title) << "\n";
  else
    cmd << "set title " << gp_string(options_.title) << "\n";
  cmd << "set xrange [" << xmin << ":" << xmax << "]\n";
  send(cmd.str());
  for (const auto& p : panels) {
    std::ostringstream c;
    c << std::setprecision(9);
    c << (p.log ? "set logscale y\nset format y '%.0e'\n" : "unset logscale y\nset format y '%g'\n");
    if (p.ymax > p.ymin)
      c << "set autoscale y\n";
    else if (p.log)
      c << "set yrange [" << p.ymin / 2 << ":" << p.ymin * 2 << "]\n";
    else
      c << "set yrange [" << p.ymin - 1 << ":" << p.ymin + 1 << "]\n";
    c << "set ylabel " << gp_string(p.column) << "\n";
    c << "plot ";
    for (std::size_t i = 0; i < p.series.size(); ++i)
      c << (i ? ", " : "") << "'-' using 1:2 with lines lw 2 lt " << p.series[i].first << " title "
        << gp_string(p.titles[i]);
    c << "\n";
    send(c.str());
    if (broken_) return;
    {
      IgnoreSigpipe guard;
      for (const auto& [colour, pts] : p.series) gp_->send1d(pts);
      if (!*gp_) broken_ = true;
    }
  }
  if (multi) send("unset multiplot\n");
  ++frames_;
  // Keep drawing below 5% of the run: wait at least 20 times what this frame cost.
  interval_ = std::max(1.0 / std::max(options_.max_redraws_per_second, 1e-3), 20.0 * seconds_since(start));
}

void LivePlot::finish() {
  if (!gp_) return;
  {
    IgnoreSigpipe guard;
    gp_.reset();  // closes the pipe and waits for gnuplot (pclose)
  }
  if (!error_log_.empty()) {
    std::ifstream in(error_log_);
    std::stringstream ss;
    ss << in.rdbuf();
    errors_ += ss.str();
    std::error_code ec;
    std::filesystem::remove(error_log_, ec);
  }
}

std::string LivePlot::description() const {
  switch (mode_) {
    case LiveMode::window: return "live plot: gnuplot window (" + terminal_ + ")";
    case LiveMode::dumb:
      return "live plot: text plot " + std::to_string(width_) + "x" + std::to_string(height_) + " on stdout";
    case LiveMode::sixel:
      return "live plot: sixel image " + std::to_string(width_) + "x" + std::to_string(height_) + " on stdout";
    default: return "live plot: off";
  }
}

std::unique_ptr<LivePlot> make_live_plot(const LiveOptions& options) {
  const bool custom = !options.gnuplot_command.empty();
  // Probing the terminal list costs a gnuplot start: only when a window is possible.
  const char* display = std::getenv("DISPLAY");
  const bool probe = options.mode == LiveMode::window || (options.mode == LiveMode::automatic && display && *display);
  LiveEnvironment env;
  if (options.mode != LiveMode::off) env = detect_live_environment(probe);
  const LiveMode mode = resolve_live_mode(options.mode, env, custom);
  return std::make_unique<LivePlot>(options, mode, env);
}

}  // namespace gradflow
