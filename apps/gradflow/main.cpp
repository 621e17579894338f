// gradflow command-line interface.
//   gradflow run [FILE.toml] [--out DIR] [--force | --resume] [--set key=value]... [--print-default] [--live COLS] [--no-live]
//   gradflow compare FILE.toml [--eta 0.2,0.1,...] [--horizon T] [--out DIR] [--force] [--set key=value]...
//   gradflow plot DIR
//   gradflow theory FILE.toml [--set key=value]... [--out FILE.json]
//   gradflow keys [KIND] [--markdown]
//   gradflow reproduce --list | NAME [--full | --size tiny|default|full] [--out DIR] [--force] [--set key=value]...
//   [mpirun -np K] gradflow sweep [FILE.toml] [--grid key=v1,v2,...]... [--zip key=v1,...]... [-j N] [--out DIR]
//                                 [--retry-failed | --force] [--figures] [--set key=value]...
//   gradflow sweep-plot DIR --x KEY --y METRIC [--over KEY] [--method NAME]... [--hline Y [--hline-title T]]
#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <csignal>
#include <iostream>
#include <unistd.h>

#include "gradflow/core/quote.hpp"
#include "gradflow/experiment/output_folder.hpp"
#include "gradflow/experiment/resumable_run.hpp"
#include "gradflow/experiment/recipe.hpp"
#include "gradflow/experiment/theory_report.hpp"
#include "gradflow/gradflow.hpp"
#include "gradflow/plot/sweep_plot.hpp"
#include "sweep_mpi.hpp"

namespace fs = std::filesystem;
using namespace gradflow;

namespace {

/// The closing "output:" line: the folder, what it always holds, and the figures written.
void print_output(const std::string& dir, const std::string& files) {
  std::cout << "output: " << dir << "/ (" << files;
  for (const auto& f : figure_files(dir)) std::cout << ", " << f;
  std::cout << ")\n";
}

std::string default_out_dir() {
  const std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "runs/run-%Y%m%d-%H%M%S", std::localtime(&now));
  return buf;
}

Experiment load_experiment(const std::string& file, const std::vector<std::string>& sets) {
  Config config = file.empty() ? Config::parse(default_experiment_toml(), "default experiment") : Config::load(file);
  config.take_table("sweep");  // a sweep's file runs as its base experiment
  for (const auto& s : sets) config.set(s);
  return parse_experiment(config);
}

/// --force replaces an earlier result, --resume continues an interrupted run.
Existing existing_policy(bool force, bool resume) {
  if (force && resume) throw input_error("--force and --resume contradict: --force starts again, --resume continues");
  return force ? Existing::replace : resume ? Existing::resume : Existing::refuse;
}

void draw(const std::string& errors) {
  if (!errors.empty()) std::cerr << "gradflow: warning: gnuplot reported:\n" << errors;
}

struct LiveFlags {
  std::string columns = "loss";
  std::string mode = "auto";
  bool off = false;
};

int cmd_run(const std::string& file, std::string out, const std::vector<std::string>& sets, bool print_default,
            const LiveFlags& live_flags, Existing existing) {
  if (print_default) {
    std::cout << default_experiment_toml();
    return 0;
  }
  const Experiment experiment = load_experiment(file, sets);
  LiveOptions live_options;
  live_options.columns = parse_live_columns(live_flags.columns);
  // Before the folder exists: an energy column asked of an lp run would stay empty.
  require_energy_columns_exist(live_options.columns, experiment.loss, "--live");
  const LiveMode requested = live_flags.off ? LiveMode::off : parse_live_mode(live_flags.mode);
  OutputFolder folder(out.empty() ? default_out_dir() : out, existing, "run.json");

  ProgressLine progress(experiment.run.t_end);
  const LiveEnvironment env = detect_live_environment(requested != LiveMode::off);
  live_options.title = "gradflow: " + experiment.model.kind + " on " + experiment.data.kind;
  LivePlot live(live_options, resolve_live_mode(requested, env), env);
  std::vector<Observer*> sinks;
  if (live.mode() != LiveMode::off) {
    sinks.push_back(&live);
  } else if (isatty(STDERR_FILENO)) {
    sinks.push_back(&progress);
  }
  catch_interrupts();
  const FolderRun run = run_in_folder(experiment, folder, sinks);
  live.finish();
  std::cout << summary(run.report);
  if (run.interrupted) {
    std::cerr << "gradflow: interrupted" << (run.signal == SIGTERM ? " (SIGTERM)" : run.signal ? " (SIGINT)" : "")
              << ": the finished methods and the interrupted one's rows are in " << folder.work()
              << "/; the same command with --resume continues the run\n";
    return run.signal ? 128 + run.signal : 1;
  }
  if (gnuplot_available()) {
    draw(render_run_figures(folder.work()));
  } else {
    std::cerr << "gradflow: warning: gnuplot not found, figures skipped\n";
  }
  folder.commit();
  print_output(folder.target(), "run.json, one CSV per method");
  return 0;
}

int cmd_compare(const std::string& file, const std::string& out, const std::vector<std::string>& sets,
                const std::vector<double>& etas, double horizon, Existing existing) {
  const Experiment experiment = load_experiment(file, sets);
  CompareOptions options;
  options.etas = etas;
  options.horizon = horizon;
  if (!(horizon >= 0)) throw input_error("--horizon: must be non-negative");
  if (horizon > 1e9) throw input_error("--horizon: at most 1e9 (sample times and iteration counts must stay exact)");
  if (existing == Existing::resume) throw input_error("--resume: only gradflow run resumes; compare starts again with --force");
  OutputFolder folder(out.empty() ? default_out_dir() : out, existing, "compare.json");
  const CompareResult result = run_compare(experiment, options);
  folder.open();
  write_compare(folder.work(), experiment, options, result);
  std::cout << compare_summary(result);
  if (gnuplot_available()) draw(render_compare_figure(folder.work()));
  folder.commit();
  print_output(folder.target(), "compare.csv, compare.json");
  return 0;
}

int cmd_theory(const std::string& file, const std::vector<std::string>& sets, const std::string& out) {
  const Experiment experiment = load_experiment(file, sets);
  const nlohmann::json report = theory_report(experiment);
  std::cout << theory_text(report);
  const std::string path = out.empty() ? "theory.json" : out;
  require_printable(path, "--out");
  if (const auto parent = fs::path(path).parent_path(); !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw input_error("--out: cannot create folder '" + parent.string() + "': " + ec.message());
  }
  write_atomically(path, report.dump(2) + "\n");
  std::cout << "output: " << path << "\n";
  return 0;
}

int cmd_reproduce(const std::string& name, bool list, bool full, std::string size, std::string out,
                  const std::vector<std::string>& sets, Existing existing) {
  if (list) {
    for (const auto& [n, title] : list_recipes()) std::printf("%-12s %s\n", n.c_str(), title.c_str());
    return 0;
  }
  if (name.empty()) throw input_error("reproduce: name a recipe (gradflow reproduce --list shows them)");
  const Recipe recipe = find_recipe(name);
  ReproduceOptions options;
  if (full && !size.empty() && size != "full") throw input_error("reproduce: --full and --size " + size + " contradict");
  options.size = full ? "full" : size.empty() ? "default" : size;
  if (existing == Existing::resume) throw input_error("--resume: only gradflow run resumes; reproduce starts again with --force");
  options.sets = sets;
  check_reproduce(recipe, options);
  OutputFolder folder(out.empty() ? "runs/" + name : out, existing, "summary.json");
  folder.open();
  options.out = folder.work();
  options.quiet = !isatty(STDERR_FILENO);
  if (!gnuplot_available()) std::cerr << "gradflow: warning: gnuplot not found, figures skipped\n";
  ReproduceResult result = reproduce(recipe, options);
  folder.commit();
  result.report_path = (fs::path(folder.target()) / fs::path(result.report_path).filename()).string();
  std::cout << reproduce_text(recipe, result);
  return 0;
}

struct SweepFlags {
  std::string file, out;
  std::vector<std::string> grid, zip, sets;
  std::size_t jobs = 1;
  bool retry_failed = false, figures = false;
};

int cmd_sweep(const SweepFlags& flags, bool force) {
  cli::MpiSession mpi;
  const SweepPlan plan = plan_sweep(flags.file, flags.sets, flags.grid, flags.zip);
  if (force && flags.retry_failed) throw input_error("--force reruns every point already; --retry-failed adds nothing");
  if (mpi.active() && flags.jobs > 1) throw input_error("-j: under mpirun every rank runs one point at a time; leave -j out");
  SweepOptions options;
  options.out = flags.out.empty() ? "runs/sweep-" + default_out_dir().substr(9) : flags.out;
  options.force = force;
  options.retry_failed = flags.retry_failed;
  options.quiet = !isatty(STDERR_FILENO);
  options.on_point = [](std::size_t ended, std::size_t todo, const SweepPoint& point, const PointOutcome& o) {
    std::printf("[%*zu/%zu] %-11s %8.2f s  %s%s%s\n", static_cast<int>(std::to_string(todo).size()), ended, todo,
                o.status.c_str(), o.wall_seconds, point.name.c_str(), o.message.empty() ? "" : ": ",
                printable(o.message).c_str());
    std::fflush(stdout);
  };
  PointOptions point_options;
  point_options.figures = flags.figures;
  catch_interrupts();
  if (mpi.active() && mpi.rank() > 0) {
    cli::mpi_worker(plan, (fs::path(options.out) / "points").string(), point_options);
    return 0;
  }
  SweepSummary summary;
  try {
    summary = run_sweep(plan, options, [&](const std::string& points_dir) {
      return mpi.active() ? cli::mpi_executor(plan) : local_executor(plan, points_dir, point_options, flags.jobs);
    });
  } catch (...) {
    cli::mpi_release_workers();  // they wait for points that will not come
    throw;
  }
  cli::mpi_release_workers();
  std::printf("sweep: %zu points, %zu complete (%zu from before), %zu failed; %.1f s, points busy %.0f%% of the slots\n",
              summary.points, summary.done, summary.skipped, summary.failed,
              summary.wall_seconds, 100 * summary.busy_fraction);
  std::cout << "output: " << options.out << "/ (sweep.json, sweep.csv, points/)\n";
  if (summary.interrupted) {
    std::cerr << "gradflow: sweep interrupted; the same command continues it (done points are kept)\n";
    return summary.signal ? 128 + summary.signal : 1;
  }
  return summary.done == summary.points ? 0 : 1;
}

int cmd_sweep_plot(const std::string& dir, SweepPlotOptions options) {
  const auto series = sweep_series(dir, options);
  for (const auto& s : series)
    if (options.fit && std::isfinite(s.fit.exponent))
      std::printf("%s: %s ~ %.4g * %s^%.4f (%zu values of %s)\n", printable(s.label).c_str(), options.y.c_str(),
                  s.fit.prefactor, options.x.c_str(), s.fit.exponent, s.x.size(), options.x.c_str());
  if (!gnuplot_available()) {
    std::cerr << "gradflow: warning: gnuplot not found, figure skipped\n";
    return 0;
  }
  const auto [stem, errors] = render_sweep_plot(dir, options, series);
  const fs::path image = fs::path(dir) / (stem + ".png");
  if (!fs::exists(image)) {
    std::cerr << "gradflow: " << errors;
    return 1;
  }
  draw(errors);
  std::cout << "output: " << (fs::path(dir) / stem).string() << ".png, .svg\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gradflow: gradient flows and gradient methods on over-parameterised networks"};
  app.require_subcommand(1);
  app.fallthrough();
  int threads = 1;
  app.add_option("--threads", threads,
                 "threads for the GEMMs and kernels (default 1: deterministic, and spinning workers "
                 "slow a busy machine down many times)")
      ->check(CLI::Range(1, 256));

  auto* run = app.add_subcommand("run", "run an experiment (the embedded default when no file is given)");
  std::string file, out;
  std::vector<std::string> sets;
  bool print_default = false;
  run->add_option("file", file, "experiment file (TOML)");
  run->add_option("--out", out, "output folder (default runs/run-<date>-<time>)");
  run->add_option("--set", sets, "override a key, e.g. --set model.width=200 --set methods.4.eta=0.1 (methods count from 1)");
  run->add_flag("--print-default", print_default, "print the embedded default experiment and exit");
  bool force = false, resume = false;
  const char* force_doc = "replace an earlier result in --out (once the new one is complete)";
  run->add_flag("--force", force, force_doc);
  run->add_flag("--resume", resume, "continue the interrupted run in <out>.partial (same file and --set options)");
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
  compare->add_flag("--force", force, force_doc);

  auto* plot = app.add_subcommand("plot", "redraw the figures of a finished run from its CSVs");
  std::string plot_dir;
  plot->add_option("dir", plot_dir, "run folder")->required();

  auto* theory = app.add_subcommand("theory", "the theory's numbers for an experiment (H_inf, lambda0, widths, bounds, Xu et al.), without training");
  std::string theory_file, theory_out;
  std::vector<std::string> theory_sets;
  theory->add_option("file", theory_file, "experiment file (TOML)")->required();
  theory->add_option("--set", theory_sets, "override a key of the experiment");
  theory->add_option("--out", theory_out, "JSON file written (default theory.json)");

  auto* keys = app.add_subcommand("keys", "every key of every model and method kind, from the registries");
  std::string keys_kind;
  bool keys_markdown_flag = false;
  keys->add_option("kind", keys_kind, "only this kind (a model or method kind)");
  keys->add_flag("--markdown", keys_markdown_flag, "the tables of docs/experiment.md");

  auto* reproduce_cmd = app.add_subcommand("reproduce", "reproduce a seed paper's result from a shipped recipe");
  std::string recipe_name, reproduce_out;
  std::vector<std::string> reproduce_sets;
  std::string size;
  bool list = false, full = false;
  reproduce_cmd->add_option("name", recipe_name, "recipe name (see --list)");
  reproduce_cmd->add_flag("--list", list, "list the shipped recipes with their titles");
  reproduce_cmd->add_flag("--full", full, "the paper's size (slow) instead of the default size");
  reproduce_cmd->add_option("--size", size, "tiny (the test suite's), default or full");
  reproduce_cmd->add_option("--out", reproduce_out, "output folder (default runs/NAME)");
  reproduce_cmd->add_option("--set", reproduce_sets, "override a key of every variant's experiment");
  reproduce_cmd->add_flag("--force", force, force_doc);

  auto* sweep = app.add_subcommand("sweep", "a grid of runs over any keys (width x seed x eta ...), resumable, on -j cores or MPI ranks");
  SweepFlags sweep_flags;
  sweep->add_option("file", sweep_flags.file, "experiment file (TOML) with an optional [sweep] table (default: the embedded experiment)");
  sweep->add_option("--grid", sweep_flags.grid, "an axis, e.g. --grid model.width=100,400,1600 --grid seed=1..20 (axes form a product)");
  sweep->add_option("--zip", sweep_flags.zip, "an axis that advances with the other --zip axes (equal lengths)");
  sweep->add_option("--set", sweep_flags.sets, "override a key of every point's experiment");
  sweep->add_option("-j,--jobs", sweep_flags.jobs, "points run at once on this machine (one process each)")->check(CLI::Range(1, 1024));
  sweep->add_option("--out", sweep_flags.out, "sweep folder (default runs/sweep-<date>-<time>); rerun to continue it");
  sweep->add_flag("--retry-failed", sweep_flags.retry_failed, "rerun the points that failed (they are kept otherwise)");
  sweep->add_flag("--force", force, "rerun every point, done ones included");
  sweep->add_flag("--figures", sweep_flags.figures, "draw each point's figures (gradflow plot DIR draws them later)");

  auto* sweep_plot = app.add_subcommand("sweep-plot", "a sweep metric against an axis: median and quartile band over seeds, fitted power law");
  std::string sweep_dir;
  SweepPlotOptions plot_options;
  double hline = 0.0;
  sweep_plot->add_option("dir", sweep_dir, "sweep folder")->required();
  sweep_plot->add_option("--x", plot_options.x, "the axis on the x axis, e.g. model.width")->required();
  sweep_plot->add_option("--y", plot_options.y, "a metric of sweep.csv, or a ratio a/b of two, e.g. min_lambda_min/lambda0")->required();
  sweep_plot->add_option("--over", plot_options.over, "the axis summarised at each x (default seed)");
  sweep_plot->add_option("--method", plot_options.methods, "only this method (repeatable; default every method)");
  auto* hline_option = sweep_plot->add_option("--hline", hline, "a horizontal reference line at this y");
  sweep_plot->add_option("--hline-title", plot_options.hline_title, "its legend entry");
  bool no_fit = false;
  sweep_plot->add_flag("--no-fit", no_fit, "no power law (for a metric that is not one, such as a saturating ratio)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "gradflow: error: " << printable(e.what()) << "\n";
    return 2;
  }

  set_threads(threads);
  try {
    if (*run) return cmd_run(file, out, sets, print_default, live, existing_policy(force, resume));
    if (*compare) return cmd_compare(compare_file, compare_out, compare_sets, etas, horizon, existing_policy(force, false));
    if (*theory) return cmd_theory(theory_file, theory_sets, theory_out);
    if (*keys) {
      std::cout << (keys_markdown_flag ? keys_markdown() : keys_text(keys_kind));
      return 0;
    }
    if (*sweep) return cmd_sweep(sweep_flags, force);
    if (*sweep_plot) {
      if (*hline_option) plot_options.hline = hline;
      plot_options.fit = !no_fit;
      return cmd_sweep_plot(sweep_dir, plot_options);
    }
    if (*reproduce_cmd)
      return cmd_reproduce(recipe_name, list, full, size, reproduce_out, reproduce_sets, existing_policy(force, false));
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
    std::cerr << "gradflow: error: " << printable(e.what()) << "\n";  // one line, whatever the user's text held
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gradflow: internal error: " << printable(e.what()) << "\n";
    return 3;
  }
  return 0;
}
