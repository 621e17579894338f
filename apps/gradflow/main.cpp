// gradflow command-line interface.
//   gradflow run [FILE.toml] [--out DIR] [--set key=value]... [--print-default] [--live COLS] [--no-live]
//   gradflow compare FILE.toml [--eta 0.2,0.1,...] [--horizon T] [--out DIR] [--set key=value]...
//   gradflow plot DIR
#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include "gradflow/gradflow.hpp"

namespace fs = std::filesystem;
using namespace gradflow;

namespace {

/// One status line on a terminal's stderr: method, flow time reached, share done.
class ProgressSink final : public Sink {
 public:
  explicit ProgressSink(double t_end) : t_end_(t_end) {}
  void on_begin(const std::string& method, const std::vector<std::string>&) override {
    method_ = method;
    last_ = {};
  }
  void on_row(const std::string&, const std::vector<double>& row) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    std::fprintf(stderr, "\r  %-18s t = %-10.4g / %g (%3.0f%%)  ", method_.c_str(), row[0], t_end_,
                 100.0 * row[0] / t_end_);
  }
  void on_end(const std::string&, const Outcome&) override { std::fprintf(stderr, "\r%70s\r", ""); }

 private:
  double t_end_;
  std::string method_;
  std::chrono::steady_clock::time_point last_;
};

std::string default_out_dir() {
  const std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "runs/run-%Y%m%d-%H%M%S", std::localtime(&now));
  return buf;
}

Experiment load_experiment(const std::string& file, const std::vector<std::string>& sets) {
  Config config = file.empty() ? Config::parse(default_experiment_toml(), "default experiment") : Config::load(file);
  for (const auto& s : sets) config.set(s);
  return parse_experiment(config);
}

std::string make_out_dir(std::string out, const char* report) {
  if (out.empty()) out = default_out_dir();
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw input_error("--out: cannot create folder '" + out + "': " + ec.message());
  fs::remove(fs::path(out) / report);  // a stale report must not vouch for new CSVs
  return out;
}

struct LiveFlags {
  std::string columns = "loss";
  std::string mode = "auto";
  bool off = false;
};

int cmd_run(const std::string& file, std::string out, const std::vector<std::string>& sets, bool print_default,
            const LiveFlags& live_flags) {
  if (print_default) {
    std::cout << default_experiment_toml();
    return 0;
  }
  const Experiment experiment = load_experiment(file, sets);
  LiveOptions live_options;
  live_options.columns = parse_live_columns(live_flags.columns);
  const LiveMode requested = live_flags.off ? LiveMode::off : parse_live_mode(live_flags.mode);
  out = make_out_dir(out, "run.json");

  CsvSink csv(out);
  ProgressSink progress(experiment.run.t_end);
  const LiveEnvironment env = detect_live_environment(requested != LiveMode::off);
  live_options.title = "gradflow: " + experiment.model.kind + " on " + experiment.data.kind;
  LivePlot live(live_options, resolve_live_mode(requested, env), env);
  std::vector<Sink*> sinks{&csv};
  if (live.mode() != LiveMode::off) {
    sinks.push_back(&live);
  } else if (isatty(STDERR_FILENO)) {
    sinks.push_back(&progress);
  }
  const RunResult result = run_experiment(experiment, sinks);
  live.finish();

  std::ofstream(fs::path(out) / "run.json") << run_report(experiment, result).dump(2) << "\n";
  std::cout << summary(experiment, result);
  if (gnuplot_available()) {
    const std::string errors = render_run_figures(out);
    if (!errors.empty()) std::cerr << "gradflow: warning: gnuplot reported:\n" << errors;
  } else {
    std::cerr << "gradflow: warning: gnuplot not found, figures skipped\n";
  }
  std::cout << "output: " << out << "/ (run.json, one CSV per method, loss.png, loss.svg)\n";
  return 0;
}

int cmd_compare(const std::string& file, std::string out, const std::vector<std::string>& sets,
                const std::vector<double>& etas, double horizon) {
  const Experiment experiment = load_experiment(file, sets);
  CompareOptions options;
  options.etas = etas;
  options.horizon = horizon;
  if (!(horizon >= 0)) throw input_error("--horizon: must be non-negative");
  out = make_out_dir(out, "compare.json");
  const CompareResult result = run_compare(experiment, options);
  write_compare(out, experiment, options, result);
  std::cout << compare_summary(result);
  if (gnuplot_available()) {
    const std::string errors = render_compare_figure(out);
    if (!errors.empty()) std::cerr << "gradflow: warning: gnuplot reported:\n" << errors;
  }
  std::cout << "output: " << out << "/ (compare.csv, compare.json, compare.png, compare.svg)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gradflow: gradient flows and gradient methods on over-parameterised networks"};
  app.require_subcommand(1);

  auto* run = app.add_subcommand("run", "run an experiment (the embedded default when no file is given)");
  std::string file, out;
  std::vector<std::string> sets;
  bool print_default = false;
  run->add_option("file", file, "experiment file (TOML)");
  run->add_option("--out", out, "output folder (default runs/run-<date>-<time>)");
  run->add_option("--set", sets, "override a key, e.g. --set model.width=200 --set methods.1.eta=0.1");
  run->add_flag("--print-default", print_default, "print the embedded default experiment and exit");
  LiveFlags live;
  run->add_option("--live", live.columns, "columns drawn live against t, e.g. loss,siegel (default loss)");
  run->add_option("--live-mode", live.mode, "auto (window if DISPLAY, else text on a terminal), window, dumb, sixel, off");
  run->add_flag("--no-live", live.off, "draw nothing while running");

  auto* compare = app.add_subcommand("compare", "discrete methods against their flows over a grid of step sizes");
  std::string compare_file, compare_out;
  std::vector<std::string> compare_sets;
  std::vector<double> etas;
  double horizon = 0.0;
  compare->add_option("file", compare_file, "experiment file (TOML); its discrete methods are compared")->required();
  compare->add_option("--eta", etas, "step sizes, e.g. 0.2,0.1,0.05 (default: 2.5, 1, 1/2, 1/4, 1/8 over lambda_max)")
      ->delimiter(',');
  compare->add_option("--horizon", horizon, "flow time compared (default run.t_end)");
  compare->add_option("--out", compare_out, "output folder (default runs/run-<date>-<time>)");
  compare->add_option("--set", compare_sets, "override a key of the experiment");

  auto* plot = app.add_subcommand("plot", "redraw the figures of a finished run from its CSVs");
  std::string plot_dir;
  plot->add_option("dir", plot_dir, "run folder")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "gradflow: error: " << e.what() << "\n";
    return 2;
  }

  try {
    if (*run) return cmd_run(file, out, sets, print_default, live);
    if (*compare) return cmd_compare(compare_file, compare_out, compare_sets, etas, horizon);
    if (*plot) {
      const std::string errors = render_run_figures(plot_dir);
      if (!errors.empty()) {
        std::cerr << "gradflow: gnuplot reported:\n" << errors;
        return 1;
      }
      std::cout << "redrew the figures of " << plot_dir << "\n";
      return 0;
    }
  } catch (const input_error& e) {
    std::cerr << "gradflow: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gradflow: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
