// Figures and live plots: every template renders cleanly on a synthetic run folder holding
// every column (with nan cells), the PNGs have the requested size, the figures carry the
// expected series, figures without data are skipped, and the live plot draws to a captured
// gnuplot, to the dumb terminal, and under a pseudo-terminal, and not at all when off.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "gradflow/core/error.hpp"
#include "gradflow/plot/figure.hpp"
#include "gradflow/plot/live.hpp"

namespace fs = std::filesystem;
using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

fs::path scratch() {
  static const fs::path dir = fs::temp_directory_path() / ("gradflow_plot_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

/// Width and height from a PNG's IHDR chunk; {0, 0} when the file is no PNG.
std::pair<unsigned, unsigned> png_size(const fs::path& p) {
  const std::string b = slurp(p);
  if (b.size() < 24 || b.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || b.compare(12, 4, "IHDR") != 0) return {0, 0};
  auto be32 = [&](std::size_t at) {
    unsigned v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

/// A method's CSV: columns by name, each a function of t; "nan" cells where f returns NaN,
/// and one "-nan" cell (as printf writes a negative NaN) where asked.
void write_csv(const fs::path& p, const std::vector<std::string>& cols,
               const std::map<std::string, std::function<double(double)>>& f, int rows = 41,
               const std::string& minus_nan_col = "") {
  std::ofstream out(p);
  out << "t";
  for (const auto& c : cols) out << "," << c;
  out << "\n";
  for (int i = 0; i < rows; ++i) {
    const double t = 0.25 * i;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.10g", t);
    out << buf;
    for (const auto& c : cols) {
      std::snprintf(buf, sizeof buf, "%.10g", f.at(c)(t));
      out << "," << (c == minus_nan_col && i == 7 ? "-nan" : buf);
    }
    out << "\n";
  }
}

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

/// A run folder with every column a figure can show: five methods (three flows, two discrete),
/// bound columns, Lyapunov functions, invariants, nan cells; and a compare.csv.
fs::path synthetic_run(const std::string& name) {
  const fs::path dir = scratch() / name;
  fs::create_directories(dir);
  using F = std::function<double(double)>;
  const F decay = [](double t) { return 10 * std::exp(-0.5 * t); };
  write_csv(dir / "gf.csv", {"loss", "grad_norm", "dist_init", "lambda_min", "pseudo_loss", "bound", "balance"},
            {{"loss", decay},
             {"grad_norm", [](double t) { return std::exp(-0.25 * t); }},
             {"dist_init", [](double t) { return 1 - std::exp(-t); }},
             {"lambda_min", [](double t) { return 0.5 + 0.1 * std::exp(-t); }},
             {"pseudo_loss", [](double t) { return 4 * std::exp(-0.6 * t); }},
             {"bound", [](double t) { return 12 * std::exp(-0.4 * t); }},
             {"balance", [](double t) { return 1e-11 * t; }}});
  write_csv(dir / "hbf.csv", {"loss", "dist_init", "lambda_min", "siegel", "bound"},
            {{"loss", [](double t) { return 10 * std::exp(-0.8 * t) * (1.2 + std::cos(2 * t)) / 2.2; }},
             {"dist_init", [](double t) { return 1.2 * (1 - std::exp(-t)); }},
             {"lambda_min", [](double t) { return t > 5 ? nan_v : 0.5 + 0.05 * t; }},
             {"siegel", [](double t) { return 20 * std::exp(-0.7 * t); }},
             {"bound", [](double t) { return 40 * std::exp(-0.7 * t); }}},
            41, "loss");
  write_csv(dir / "nag_flow.csv", {"loss", "su", "su_corrected"},
            {{"loss", [](double t) { return 10 / (1 + t * t); }},
             {"su", [](double t) { return 30 / (1 + 0.2 * t); }},
             {"su_corrected", [](double t) { return t < 1 ? nan_v : 25 / (1 + 0.3 * t); }}});
  write_csv(dir / "gd_eta0.25.csv", {"loss", "dist_init", "lambda_min", "balance"},
            {{"loss", [](double t) { return 10 * std::exp(-0.45 * t); }},
             {"dist_init", [](double t) { return 0.9 * (1 - std::exp(-t)); }},
             {"lambda_min", [](double t) { return 0.55 + 0.05 * std::exp(-t); }},
             {"balance", [](double t) { return t == 2.5 ? nan_v : 1e-3 * t; }}});
  write_csv(dir / "hb.csv", {"loss", "grad_norm"},
            {{"loss", [](double t) { return 10 * std::exp(-0.7 * t); }}, {"grad_norm", [](double) { return nan_v; }}});
  std::ofstream(dir / "run.json") << R"({
  "gradflow_version": "test", "seed": 1, "loss_reduction": "mean",
  "config": {"model": {"kind": "relu2", "width": 500}},
  "data": {"name": "sphere", "n": 20, "d": 5, "k": 1, "provenance": "synthetic"},
  "model": {"kind": "relu2", "num_params": 3000},
  "loss0": 10.0, "lambda_min_H0": 0.6, "lambda0": 0.8, "lambda0_source": "H_inf",
  "methods": [
    {"name": "gf", "kind": "gf", "csv": "gf.csv", "status": "completed"},
    {"name": "hbf", "kind": "hbf", "csv": "hbf.csv", "status": "completed"},
    {"name": "nag_flow", "kind": "nag_flow", "csv": "nag_flow.csv", "status": "completed"},
    {"name": "gd_eta0.25", "kind": "gd", "csv": "gd_eta0.25.csv", "status": "completed", "eta": 0.25},
    {"name": "hb", "kind": "hb", "csv": "hb.csv", "status": "diverged"}
  ]
})";
  // gd: deviations ∝ η (slope given in the file); hb: ∝ η² (slope fitted by the figure).
  std::ofstream cmp(dir / "compare.csv");
  cmp << "method,eta,max_param_dev,max_loss_dev,imbalance_drift,slope_max_param_dev\n";
  for (const double eta : {0.01, 0.02, 0.04, 0.08, 0.16}) {
    cmp << "gd," << eta << "," << 3 * eta << "," << 2 * eta << "," << 0.5 * eta << ",1.0\n";
    cmp << "hb," << eta << "," << 5 * eta * eta << "," << (eta > 0.1 ? "nan" : std::to_string(4 * eta * eta))
        << ",nan,nan\n";
  }
  return dir;
}

const Figure* find(const std::vector<Figure>& figures, const std::string& kind) {
  for (const auto& f : figures)
    if (f.template_name == kind) return &f;
  return nullptr;
}

struct Shell {
  int code;
  std::string out;
};

Shell shell(const std::string& cmd) {
  const fs::path out = scratch() / "shell_out.txt";
  const int status = std::system((cmd + " > " + out.string() + " 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out)};
}


/// Feeds a small two-method run to a sink: gf (41 rows) then gd (41 rows).
void feed(Observer& sink, int rows = 41) {
  const std::vector<std::string> cols{"t", "loss", "grad_norm", "siegel"};
  for (const std::string method : {"gf", "gd_eta0.05"}) {
    sink.on_begin(method, cols);
    for (int i = 0; i < rows; ++i) {
      const double t = 0.1 * i;
      sink.on_sample(method, {t, 5 * std::exp(-(method == "gf" ? 1.0 : 0.8) * t), 1.0, i == 3 ? nan_v : 2 * std::exp(-t)});
    }
    sink.on_end(method, Outcome{});
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plot)

BOOST_AUTO_TEST_CASE(every_template_renders_cleanly_at_the_requested_size) {
  if (!gnuplot_available()) {
    BOOST_TEST_MESSAGE("gnuplot not on PATH: skipped");
    return;
  }
  const fs::path dir = synthetic_run("all_columns");
  const auto figures = plan_run_figures(dir.string());
  BOOST_TEST(figures.size() == 4u);
  for (const auto& f : figures) {
    const Rendered r = render_figure(f, dir.string());
    BOOST_TEST(r.errors.empty(), f.template_name << ": " << r.errors);
    const auto [w, h] = png_size(f.stem + ".png");
    BOOST_TEST(w == static_cast<unsigned>(f.width), f.template_name);
    BOOST_TEST(h == static_cast<unsigned>(f.height), f.template_name);
    BOOST_TEST(slurp(f.stem + ".svg").find("<svg") != std::string::npos, f.template_name);
  }
  const Figure cmp = plan_compare_figure(dir.string());
  BOOST_TEST(render(cmp, dir.string()).empty());
  const auto [w, h] = png_size(dir / "compare.png");
  BOOST_TEST(w == static_cast<unsigned>(cmp.width));
  BOOST_TEST(h == static_cast<unsigned>(cmp.height));
  // The whole folder at once, as `gradflow plot DIR` does it.
  BOOST_TEST(render_run_figures(dir.string()).empty());
  for (const std::string kind : {"loss", "lyapunov", "invariants", "ntk", "compare"}) {
    BOOST_TEST(fs::exists(dir / (kind + ".png")), kind);
    BOOST_TEST(!fs::exists(dir / (kind + ".gnuplot.log")), kind);
  }
}

BOOST_AUTO_TEST_CASE(figures_carry_the_expected_series) {
  const fs::path dir = synthetic_run("series");
  const auto figures = plan_run_figures(dir.string());
  const Figure* loss = find(figures, "loss");
  BOOST_REQUIRE(loss);
  BOOST_TEST(loss->variable("files") == "gf.csv hbf.csv nag_flow.csv gd_eta0.25.csv hb.csv");
  BOOST_TEST(loss->variable("discrete") == "0 0 0 1 1");
  // Discrete methods take their flow twin's colour (gd ↔ gf, hb ↔ hbf) and open markers.
  BOOST_TEST(loss->variable("colors") == "1 2 3 1 2");
  BOOST_TEST(loss->variable("points") == "0 0 0 6 4");
  BOOST_TEST(loss->variable("ymax") == "100", "a decade above the largest loss, 10");
  BOOST_TEST(loss->variable("bound_discrete") == "0 0");
  BOOST_TEST(loss->variable("bound_files") == "gf.csv hbf.csv");
  BOOST_TEST(loss->variable("bound_colors") == "1 2", "a bound takes its method's colour");
  BOOST_TEST(loss->variable("du_rate").empty(), "bound columns replace the run-level Du et al. curve");
  BOOST_TEST(loss->variable("ylabel").find("mean convention") != std::string::npos);

  const Figure* lyap = find(figures, "lyapunov");
  BOOST_REQUIRE(lyap);
  BOOST_TEST(lyap->variable("files") == "gf.csv hbf.csv nag_flow.csv nag_flow.csv");
  BOOST_TEST(lyap->variable("cols") == "pseudo_loss siegel su su_corrected");
  BOOST_TEST(lyap->variable("colors") == "1 2 3 3");
  BOOST_TEST(lyap->variable("panels") == "pseudo_loss siegel su su_corrected");
  BOOST_TEST(lyap->variable("first") == "1 2 3 4");
  BOOST_TEST(lyap->variable("logy") == "1 1 1 1");
  BOOST_TEST(lyap->variable("layout") == "2,2");

  const Figure* inv = find(figures, "invariants");
  BOOST_REQUIRE(inv);
  BOOST_TEST(inv->variable("files") == "gf.csv gd_eta0.25.csv");
  BOOST_TEST(inv->variable("titles") == "\"gf (flow): balance\" \"gd_eta0.25 (discrete): balance\"");
  BOOST_TEST(inv->variable("colors") == "1 1", "gd shares gf's colour");
  BOOST_TEST(inv->variable("discrete") == "0 1");
  BOOST_TEST(inv->variable("notes").rfind("balance: ", 0) == 0u, "only the columns shown are defined");

  const Figure* ntk = find(figures, "ntk");
  BOOST_REQUIRE(ntk);
  BOOST_TEST(ntk->variable("lambda_files") == "gf.csv hbf.csv gd_eta0.25.csv");
  BOOST_TEST(ntk->variable("dist_files") == "gf.csv hbf.csv gd_eta0.25.csv");
  BOOST_TEST(ntk->variable("lambda0") == "0.8");

  const Figure cmp = plan_compare_figure(dir.string());
  BOOST_TEST(cmp.variable("panels") == "max_param_dev max_loss_dev imbalance_drift");
  BOOST_TEST(cmp.variable("methods") == "gd hb gd hb gd", "hb has no imbalance drift");
  BOOST_TEST(cmp.variable("fit_p") == "1 2 1 2 1");
  BOOST_TEST(cmp.variable("titles").find("\"gd: fitted slope 1.00\" \"hb: fitted slope 2.00\"") == 0u,
             cmp.variable("titles"));

  if (!gnuplot_available()) return;
  // What gnuplot was handed and what it drew: the script sets the lists and loads the
  // template; the SVG holds one plot group and one legend entry per series.
  const Rendered r = render_figure(*lyap, dir.string());
  BOOST_TEST(r.errors.empty(), r.errors);
  BOOST_TEST(r.script.find("cols = 'pseudo_loss siegel su su_corrected'") != std::string::npos, r.script);
  BOOST_TEST(r.script.find("plots/lyapunov.gp'") != std::string::npos);
  const std::string svg = slurp(dir / "lyapunov.svg");
  // (every series is in two clauses, flows and discrete methods: two groups per series)
  BOOST_TEST(count(svg, "<g id=\"gnuplot_plot_") == 2 * 4);
  BOOST_TEST(count(svg, "<text>nag_flow</text>") == 2, "the su and su_corrected panels");
  BOOST_TEST(count(svg, "<text>gf</text>") == 1);
  BOOST_TEST(render(*loss, dir.string()).empty());
  const std::string loss_svg = slurp(dir / "loss.svg");
  BOOST_TEST(count(loss_svg, "<g id=\"gnuplot_plot_") == 2 * 5 + 2 + 2, "five losses (two clauses), two bounds, two legend entries");
  for (const std::string title : {"gf", "hbf", "nag_flow", "gd_eta0.25", "hb", "bound, flow", "bound, discrete"})
    BOOST_TEST(count(loss_svg, "<text>" + title + "</text>") == 1, title);
}

BOOST_AUTO_TEST_CASE(figures_without_data_are_skipped_and_stale_ones_removed) {
  const fs::path dir = scratch() / "loss_only";
  fs::create_directories(dir);
  write_csv(dir / "gd.csv", {"loss", "lambda_min"},
            {{"loss", [](double t) { return std::exp(-t); }}, {"lambda_min", [](double) { return nan_v; }}});
  std::ofstream(dir / "run.json") << R"({"loss_reduction": "sum", "data": {"name": "x", "n": 4, "d": 2},
    "model": {"kind": "relu2", "num_params": 10}, "loss0": 1.0, "lambda0": 0.5, "lambda0_source": "H_inf",
    "methods": [{"name": "gd", "kind": "gd", "csv": "gd.csv"}, {"name": "gf", "kind": "gf", "csv": "gd.csv"}]})";
  const auto figures = plan_run_figures(dir.string());
  BOOST_REQUIRE(figures.size() == 1u);
  BOOST_TEST(figures[0].template_name == "loss");
  BOOST_TEST(figures[0].variable("du_rate") == "0.5", "Du et al.'s rate c·λ0 with c = 1 (sum)");
  if (!gnuplot_available()) return;
  std::ofstream(dir / "ntk.png") << "stale";
  BOOST_TEST(render_run_figures(dir.string()).empty());
  BOOST_TEST(!fs::exists(dir / "ntk.png"));
  BOOST_TEST(png_size(dir / "loss.png").first == 900u);
  BOOST_TEST(!fs::exists(dir / "compare.png"));
  BOOST_CHECK_THROW(plan_compare_figure(dir.string()), input_error);
  BOOST_CHECK_THROW(plan_run_figures((scratch() / "absent").string()), input_error);
}

BOOST_AUTO_TEST_CASE(live_modes_resolve_from_the_environment) {
  LiveEnvironment env;
  env.gnuplot = true;
  BOOST_TEST(to_string(resolve_live_mode(LiveMode::automatic, env)) == "off", "no display, no terminal");
  env.stdout_tty = true;
  BOOST_TEST(to_string(resolve_live_mode(LiveMode::automatic, env)) == "dumb");
  env.display = true;
  BOOST_TEST(to_string(resolve_live_mode(LiveMode::automatic, env)) == "dumb", "a display but no window terminal");
  env.window_terminal = "qt";
  BOOST_TEST(to_string(resolve_live_mode(LiveMode::automatic, env)) == "window");
  BOOST_TEST(to_string(resolve_live_mode(LiveMode::sixel, env)) == "sixel");
  BOOST_TEST(to_string(resolve_live_mode(LiveMode::off, env)) == "off");
  env.window_terminal.clear();
  BOOST_TEST(to_string(resolve_live_mode(LiveMode::window, env)) == "dumb");
  env.gnuplot = false;
  BOOST_TEST(to_string(resolve_live_mode(LiveMode::dumb, env)) == "off", "no gnuplot");
  BOOST_TEST(to_string(resolve_live_mode(LiveMode::dumb, env, true)) == "dumb", "a custom command");
  BOOST_TEST(parse_live_columns(" loss, siegel ,loss") == (std::vector<std::string>{"loss", "siegel"}));
  BOOST_CHECK_THROW(parse_live_columns("loss,,su"), input_error);
  BOOST_CHECK_THROW(parse_live_mode("qt"), input_error);
  BOOST_TEST(to_string(parse_live_mode("sixel")) == "sixel");
}

BOOST_AUTO_TEST_CASE(live_plot_sends_every_method_inline_at_a_bounded_rate) {
  const fs::path sent = scratch() / "live_sent.gp";
  LiveOptions o;
  o.mode = LiveMode::dumb;
  o.columns = {"loss", "siegel", "absent"};
  o.max_redraws_per_second = 4;
  o.gnuplot_command = "cat > " + sent.string();
  auto live = make_live_plot(o);
  BOOST_TEST(to_string(live->mode()) == "dumb");
  feed(*live, 400);
  const long frames = live->frames();
  live->finish();
  // 800 rows arrive in a few milliseconds: the rate limit leaves the frames at method ends.
  BOOST_TEST(frames >= 2);
  BOOST_TEST(frames <= 4);
  const std::string text = slurp(sent);
  BOOST_TEST(count(text, "set multiplot layout 2,1") == frames, "two panels: the absent column is left out");
  BOOST_TEST(text.find("set terminal dumb") != std::string::npos);
  // The last frame draws the finished gf next to gd, both panels, data inline.
  const std::string last = text.substr(text.rfind("set multiplot layout"));
  BOOST_TEST(count(last, "plot '-' using 1:2 with lines lw 2 lt 1 title 'gf', '-' using 1:2 with lines lw 2 lt 2 title 'gd_eta0.05'") == 2);
  BOOST_TEST(count(last, "\ne\n") == 4);
  BOOST_TEST(last.find("set logscale y") != std::string::npos);
  BOOST_TEST(last.find("3.990000000e+01 ") != std::string::npos, "the final row (t = 39.9) is drawn");
  BOOST_TEST(last.find("nan") == std::string::npos, "missing values are left out");
}

BOOST_AUTO_TEST_CASE(live_plot_draws_on_the_dumb_terminal) {
  if (!gnuplot_available()) return;
  const fs::path out = scratch() / "live_dumb.txt", err = scratch() / "live_dumb.err";
  LiveOptions o;
  o.mode = LiveMode::dumb;
  o.width = 70;
  o.height = 20;
  o.gnuplot_command = "gnuplot > " + out.string() + " 2> " + err.string();
  auto live = make_live_plot(o);
  feed(*live);
  live->finish();
  const std::string text = slurp(out);
  BOOST_TEST(slurp(err).empty(), slurp(err));
  BOOST_TEST(count(text, "\f") == live->frames());
  BOOST_TEST(text.find("gd_eta0.05") != std::string::npos);
  BOOST_TEST(text.find("1e+00") != std::string::npos, "log-scale tick labels");
}

BOOST_AUTO_TEST_CASE(live_plot_off_draws_nothing) {
  const fs::path sent = scratch() / "live_off.gp";
  LiveOptions o;
  o.mode = LiveMode::off;
  o.gnuplot_command = "cat > " + sent.string();
  auto live = make_live_plot(o);
  feed(*live);
  live->finish();
  BOOST_TEST(to_string(live->mode()) == "off");
  BOOST_TEST(live->frames() == 0);
  BOOST_TEST(!fs::exists(sent), "gnuplot is never started");
}

// The CLI on a small linear network (about 0.1 s): in auto mode with DISPLAY unset it draws
// on stdout when stdout is a terminal (script(1) gives it one), and not with --no-live or
// when stdout is a pipe.
BOOST_AUTO_TEST_CASE(live_plot_auto_under_a_pseudo_terminal) {
  if (!gnuplot_available() || shell("command -v script").code != 0) {
    BOOST_TEST_MESSAGE("gnuplot or script(1) missing: skipped");
    return;
  }
  const fs::path toml = scratch() / "live_small.toml";
  std::ofstream(toml) << "[data]\nkind = \"gaussian\"\nn = 10\nd = 20\n[model]\nkind = \"linear2\"\nwidth = 20\n"
                         "[run]\nt_end = 1.0\nsamples = 101\n[[methods]]\nkind = \"gf\"\n[[methods]]\nkind = \"gd\"\neta = 0.002\n";
  const std::string run = "env -u DISPLAY COLUMNS=80 LINES=30 " + std::string(GRADFLOW_CLI) + " run " + toml.string() + " --force --out " +
                          (scratch() / "live_small").string();
  const Shell pty = shell("script -qefc '" + run + "' /dev/null");
  BOOST_TEST(pty.code == 0, pty.out);
  BOOST_TEST(pty.out.find("10^") == std::string::npos, "the dumb terminal is not enhanced");
  BOOST_TEST(pty.out.find("1e+") != std::string::npos, "a log-scale plot is drawn on the terminal");
  BOOST_TEST(pty.out.find("gd_eta0.002") != std::string::npos, "both methods are in the live legend");
  BOOST_TEST(pty.out.find("\x1b[0;39m") != std::string::npos, "ANSI colours on a terminal");
  const Shell off = shell("script -qefc '" + run + " --no-live' /dev/null");
  BOOST_TEST(off.code == 0, off.out);
  BOOST_TEST(off.out.find("\x1b[0;39m") == std::string::npos, "--no-live draws nothing (no dumb-ansi output)");
  const Shell pipe = shell(run);
  BOOST_TEST(pipe.code == 0, pipe.out);
  BOOST_TEST(pipe.out.find("\x1b[0;39m") == std::string::npos, "nothing drawn when stdout is a pipe");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
