// Rendering guarantees (plot/render.hpp): a long run is drawn from thinned data without
// touching its CSVs; a figure gnuplot fails on, or that runs out of time, leaves no image
// (neither a partial one nor an earlier drawing) and is reported in one line naming it.
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "gradflow/plot/figure.hpp"

namespace fs = std::filesystem;
using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

fs::path folder(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("gradflow_render_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// A one-method gf run of `rows` samples on [0, 2]; the CSV's time column is called `t_name`.
void write_run(const fs::path& dir, std::size_t rows, const std::string& t_name = "t") {
  std::ofstream csv(dir / "gf.csv");
  csv << t_name << ",loss,dist_init\n";
  for (std::size_t i = 0; i < rows; ++i) {
    const double t = 2.0 * static_cast<double>(i) / static_cast<double>(rows - 1);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%.10g,%.10g,%.10g\n", t, std::exp(-3 * t), 1 - std::exp(-t));
    csv << buf;
  }
  std::ofstream(dir / "run.json") << R"({"loss_reduction": "sum", "data": {"name": "x", "n": 4, "d": 2},
    "model": {"kind": "linear2", "num_params": 10}, "methods": [{"name": "gf", "kind": "gf", "csv": "gf.csv"}]})";
}

std::size_t lines(const fs::path& p) {
  std::ifstream in(p);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

/// Files of a folder other than the run's own (run.json, CSVs) and gnuplot's logs.
std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n != "run.json" && n != "gf.csv" && n.find(".gnuplot.log") == std::string::npos) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::size_t count(const std::string& text, char c) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), c)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(render)

BOOST_AUTO_TEST_CASE(a_long_run_is_drawn_from_at_most_max_points_rows) {
  if (!gnuplot_available()) return;
  const fs::path dir = folder("long");
  write_run(dir, 50001);
  const auto figures = plan_run_figures(dir.string());
  BOOST_REQUIRE(!figures.empty());
  BOOST_TEST(figures[0].template_name == "loss");
  BOOST_TEST(figures[0].data == std::vector<std::string>{"gf.csv"});
  RenderOptions o;
  o.max_points = 500;
  const Rendered r = render_figure(figures[0], dir.string(), o);
  BOOST_TEST(r.drawn, r.report);
  BOOST_TEST(r.report.empty(), r.report);
  BOOST_TEST(r.data_rows <= 500u);
  BOOST_TEST(r.script.find(".loss.data.part'") != std::string::npos, "gnuplot reads the thinned copy");
  BOOST_TEST(fs::file_size(dir / "loss.png") > 0u);
  BOOST_TEST(fs::file_size(dir / "loss.svg") > 0u);
  BOOST_TEST(lines(dir / "gf.csv") == 50002u, "the run's CSV is untouched");
  BOOST_TEST(leftovers(dir) == (std::vector<std::string>{"loss.png", "loss.svg"}), "no temporary file is left");
  // A short run is read in place.
  write_run(dir, 101);
  const Rendered in_place = render_figure(plan_run_figures(dir.string())[0], dir.string(), o);
  BOOST_TEST(in_place.data_rows == 101u);
  BOOST_TEST(in_place.script.find(".data.part") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failed_figure_leaves_no_image_and_one_line) {
  if (!gnuplot_available()) return;
  // The CSV names its time column 'time': the template's 't' does not exist, gnuplot fails.
  const fs::path dir = folder("failed");
  write_run(dir, 41, "time");
  for (const char* stale : {"loss.png", "loss.svg", "ntk.png"}) std::ofstream(dir / stale) << "an earlier drawing";
  const std::string report = render_run_figures(dir.string());
  BOOST_TEST(count(report, '\n') == 2u, report);  // loss and ntk, one line each
  BOOST_TEST(report.rfind("loss: not drawn: gnuplot failed (exit 1): ", 0) == 0u, report);
  BOOST_TEST(report.find("\nntk: not drawn: ") != std::string::npos, report);
  BOOST_TEST(report.find("(log: loss.gnuplot.log)") != std::string::npos, report);
  BOOST_TEST(leftovers(dir).empty(), "neither a partial nor the earlier image is left");
  BOOST_TEST(fs::file_size(dir / "loss.gnuplot.log") > 0u, "gnuplot's messages are kept");
}

BOOST_AUTO_TEST_CASE(a_figure_out_of_time_leaves_no_image) {
  if (!gnuplot_available() || std::system("command -v timeout >/dev/null 2>&1") != 0) return;
  const fs::path dir = folder("timeout");
  write_run(dir, 41);
  RenderOptions o;
  o.timeout_seconds = 0.001;  // gnuplot cannot even start in a millisecond
  const Rendered r = render_figure(plan_run_figures(dir.string())[0], dir.string(), o);
  BOOST_TEST(!r.drawn);
  BOOST_TEST(r.report == "loss: not drawn: gnuplot timed out after 0.001 s");
  BOOST_TEST(leftovers(dir).empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
