// Sweeps (experiment/sweep.hpp): the grid, the points' experiments, the table, and that the
// result does not depend on how many points run at once.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <sstream>

#include "harness.hpp"
#include "gradflow/gradflow.hpp"

namespace fs = std::filesystem;
using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {
using gradflow::test::slurp;

namespace {

fs::path scratch(const std::string& name) { return gradflow::test::scratch("sweep", name); }

/// A small default experiment: a point runs in a few milliseconds.
const std::vector<std::string> small = {"data.n=8", "data.d=3", "run.t_end=2", "run.samples=21"};

std::string without_column(const std::string& csv, const std::string& column) {
  std::istringstream in(csv);
  std::string line, out;
  long drop = -1;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    if (drop < 0)
      for (std::size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == column) drop = static_cast<long>(i);
    for (std::size_t i = 0; i < cells.size(); ++i)
      if (static_cast<long>(i) != drop) out += cells[i] + ",";
    out += "\n";
  }
  return out;
}

SweepSummary run(const SweepPlan& plan, const fs::path& out, std::size_t jobs, bool force = false) {
  SweepOptions o;
  o.out = out.string();
  o.quiet = true;
  o.force = force;
  return run_sweep(plan, o, [&](const std::string& dir) { return local_executor(plan, dir, {}, jobs); });
}

void check_input_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    BOOST_ERROR("no input_error; expected one naming '" << fragment << "'");
  } catch (const input_error& e) {
    BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos, e.what());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sweep)

BOOST_AUTO_TEST_CASE(axes_form_a_product_and_zip_axes_advance_together) {
  const SweepPlan plan = plan_sweep("", small, {"model.width=10,20", "seed=1..3"}, {"run.t_end=1,2", "run.samples=11,21"});
  // width (2) × seed (3) × the zip group (2), the last factor fastest.
  BOOST_REQUIRE(plan.points.size() == 12u);
  BOOST_TEST(plan.points[0].name == "00_model.width=10__seed=1__run.t_end=1__run.samples=11");
  BOOST_TEST(plan.points[1].name == "01_model.width=10__seed=1__run.t_end=2__run.samples=21");
  BOOST_TEST(plan.points[11].name == "11_model.width=20__seed=3__run.t_end=2__run.samples=21");
  const Experiment e = plan.experiment(plan.points[7]);  // width 20, seed 1, zip entry 2
  BOOST_TEST(e.seed == 1u);
  BOOST_TEST(e.resolved["model"]["width"] == 20);
  BOOST_TEST(e.run.t_end == 2.0);
  BOOST_TEST(e.run.samples == 21);
  BOOST_TEST(e.data.n == 8);  // the --set options reach every point
  // Larger points cost more in the estimate that orders the work.
  BOOST_TEST(plan.points[11].cost > plan.points[0].cost);
}

BOOST_AUTO_TEST_CASE(a_sweep_table_in_the_file_and_command_line_axes_that_replace_its_own) {
  const fs::path file = scratch("file.toml");
  std::ofstream(file) << "seed = 4\n[data]\nn = 8\nd = 3\n[run]\nt_end = 1.5\nsamples = 11\n"
                         "[[methods]]\nkind = \"gf\"\n[sweep]\n\"model.width\" = [10, 30]\nseed = \"5..6\"\n\"run.rtol\" = [1e-5, 1e-7]\n";
  const SweepPlan plan = plan_sweep(file.string(), {}, {"seed=7"}, {});
  BOOST_REQUIRE(plan.points.size() == 4u);  // width 2 × rtol 2 × seed 1
  BOOST_TEST(plan.axes.back().key == "seed");
  BOOST_TEST(plan.points[1].coordinates[1].second == "1e-07");  // shortest text that reads back as 1e-7
  const Experiment e = plan.experiment(plan.points[1]);
  BOOST_TEST(e.seed == 7u);
  BOOST_TEST(e.resolved["run"]["rtol"].get<double>() == 1e-7);
  BOOST_TEST(!plan.base_config.contains("sweep"));
}

BOOST_AUTO_TEST_CASE(bad_axes_stop_the_sweep_before_any_point_runs) {
  check_input_error([] { plan_sweep("", small, {"model.widht=10,20"}, {}); }, "unknown key 'model.widht'");
  check_input_error([] { plan_sweep("", small, {"model.width=ten"}, {}); }, "model.width");
  check_input_error([] { plan_sweep("", small, {"model.width="}, {}); }, "no values");
  check_input_error([] { plan_sweep("", small, {"model.width=10,,20"}, {}); }, "an empty value");
  check_input_error([] { plan_sweep("", small, {"seed=5..2"}, {}); }, "empty");
  check_input_error([] { plan_sweep("", small, {"seed=1,1"}, {}); }, "repeated");
  check_input_error([] { plan_sweep("", small, {}, {"seed=1,2", "model.width=10,20,30"}); }, "equal lengths");
  check_input_error([] { plan_sweep("", small, {}, {}); }, "no axes");
  check_input_error([] { plan_sweep("", small, {"seed=1..100", "model.width=1..2000"}, {}); }, "more than");
}

BOOST_AUTO_TEST_CASE(the_table_holds_each_points_metrics_and_jobs_do_not_change_it) {
  const SweepPlan plan = plan_sweep("", small, {"model.width=10,20", "seed=1..3"}, {});
  const fs::path serial = scratch("serial"), parallel = scratch("parallel");
  const SweepSummary s1 = run(plan, serial, 1);
  BOOST_TEST(s1.done == 6u);
  BOOST_TEST(s1.ran == 6u);
  BOOST_TEST(!s1.interrupted);
  const SweepSummary s2 = run(plan, parallel, 2);
  BOOST_TEST(s2.done == 6u);
  const std::string csv = slurp(serial / "sweep.csv");
  BOOST_TEST(without_column(csv, "wall_seconds") == without_column(slurp(parallel / "sweep.csv"), "wall_seconds"));
  // Every point's CSVs are identical byte for byte.
  for (const auto& p : plan.points)
    for (const auto& f : fs::directory_iterator(serial / "points" / p.name))
      if (f.path().extension() == ".csv")
        BOOST_TEST(slurp(f.path()) == slurp(parallel / "points" / p.name / f.path().filename()), p.name << "/" << f.path().filename());

  // A row per point × method, and the metrics are those of the point's own files.
  const auto report = nlohmann::json::parse(slurp(serial / "points" / plan.points[4].name / "run.json"));
  const std::size_t methods = report["methods"].size();
  std::istringstream lines(csv);
  std::string header, line;
  std::getline(lines, header);
  BOOST_TEST(header.rfind("point,model.width,seed,method,kind,status,final_loss,fitted_rate,", 0) == 0u);
  std::size_t rows = 0;
  bool checked = false;
  while (std::getline(lines, line)) {
    ++rows;
    if (line.rfind(plan.points[4].name + ",20,2,gf,", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    const double final_loss = std::stod(cells[6]);
    BOOST_TEST(final_loss == report["methods"][0]["final_loss"].get<double>(), boost::test_tools::tolerance(1e-9));
    // min_lambda_min from the CSV column.
    std::istringstream gf(slurp(serial / "points" / plan.points[4].name / "gf.csv"));
    std::string h, row;
    std::getline(gf, h);
    std::size_t col = 0;
    {
      std::stringstream hs(h);
      std::string c;
      for (std::size_t i = 0; std::getline(hs, c, ','); ++i)
        if (c == "lambda_min") col = i;
    }
    double lo = INFINITY;
    while (std::getline(gf, row)) {
      std::stringstream rs(row);
      std::string c;
      for (std::size_t i = 0; std::getline(rs, c, ','); ++i)
        if (i == col) lo = std::min(lo, std::stod(c));
    }
    BOOST_TEST(std::stod(cells[9]) == lo, boost::test_tools::tolerance(1e-9));
    checked = true;
  }
  BOOST_TEST(checked);
  BOOST_TEST(rows == 6 * methods);
  const auto j = nlohmann::json::parse(slurp(serial / "sweep.json"));
  BOOST_TEST(j["status"] == "complete");
  BOOST_TEST(j["points"].size() == 6u);
  BOOST_TEST(j["points"][3]["coordinates"]["seed"] == "1");
}

BOOST_AUTO_TEST_CASE(a_rerun_skips_done_points_and_refuses_another_grid) {
  const SweepPlan plan = plan_sweep("", small, {"seed=1..3"}, {});
  const fs::path out = scratch("rerun");
  run(plan, out, 1);
  const std::string before = slurp(out / "points" / plan.points[1].name / "run.json");
  const SweepSummary again = run(plan, out, 1);
  BOOST_TEST(again.skipped == 3u);
  BOOST_TEST(again.ran == 0u);
  BOOST_TEST(slurp(out / "points" / plan.points[1].name / "run.json") == before);  // not run again
  const SweepPlan other = plan_sweep("", small, {"seed=1..4"}, {});
  check_input_error([&] { run(other, out, 1); }, "another grid");
  const SweepPlan changed = plan_sweep("", {"data.n=9", "data.d=3", "run.t_end=2", "run.samples=21"}, {"seed=1..3"}, {});
  check_input_error([&] { run(changed, out, 1); }, "another experiment");
  const SweepSummary forced = run(plan, out, 1, true);
  BOOST_TEST(forced.ran == 3u);
  const auto j = nlohmann::json::parse(slurp(out / "sweep.json"));
  BOOST_TEST(j["points"][1]["runs"] == 2);
  // A folder that is not a sweep's is never written into.
  const fs::path foreign = scratch("foreign");
  fs::create_directories(foreign);
  std::ofstream(foreign / "notes.txt") << "mine\n";
  check_input_error([&] { run(plan, foreign, 1); }, "holds no sweep.json");
}

BOOST_AUTO_TEST_CASE(a_failing_point_is_recorded_and_the_sweep_goes_on) {
  // A divergence is a result, not a failure; a point fails when it throws as it runs, as when
  // its data file disappears after the sweep was planned.
  const fs::path dir = scratch("failing");
  fs::create_directories(dir);
  const fs::path data = dir / "points.csv";
  std::ofstream(data) << "x1,x2,y\n1,0,1\n0,1,-1\n1,1,0.5\n0.5,-1,0.2\n";
  const SweepPlan plan = plan_sweep("", {"data.kind=csv", "data.path=" + data.string(), "run.t_end=1", "run.samples=11"},
                                    {"seed=1..2"}, {});
  fs::remove(data);
  const SweepSummary s = run(plan, dir / "out", 1);
  BOOST_TEST(s.failed == 2u);
  BOOST_TEST(s.done == 0u);
  const auto j = nlohmann::json::parse(slurp(dir / "out" / "sweep.json"));
  BOOST_TEST(j["points"][0]["status"] == "failed");
  BOOST_TEST(j["points"][0]["message"].get<std::string>().find("points.csv") != std::string::npos);
  BOOST_TEST(j["status"] == "failed");
}

BOOST_AUTO_TEST_CASE(power_laws_are_fitted_to_the_medians) {
  // A synthetic sweep.csv: y = 3 x^-0.5 times a seed factor symmetric about 1 in log.
  const fs::path out = scratch("plot");
  fs::create_directories(out);
  std::ofstream csv(out / "sweep.csv");
  csv << "point,model.width,seed,method,kind,status,max_w_change,other\n";
  const double factors[] = {0.5, 0.8, 1.0, 1.25, 2.0};
  int k = 0;
  for (const double m : {100.0, 400.0, 1600.0, 6400.0})
    for (int s = 0; s < 5; ++s) csv << k++ << "," << m << "," << s + 1 << ",gf,gf,completed," << 3 * std::pow(m, -0.5) * factors[s] << ",\n";
  csv.close();
  SweepPlotOptions o;
  o.x = "model.width";
  o.y = "max_w_change";
  const auto series = sweep_series(out.string(), o);
  BOOST_REQUIRE(series.size() == 1u);
  BOOST_TEST(series[0].x.size() == 4u);
  BOOST_TEST(series[0].fit.exponent == -0.5, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(series[0].fit.prefactor == 3.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(series[0].median[0] == 0.3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(series[0].low[0] == 0.3 * 0.8, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(series[0].high[0] == 0.3 * 1.25, boost::test_tools::tolerance(1e-12));
  o.y = "max_w_chnage";
  check_input_error([&] { sweep_series(out.string(), o); }, "max_w_chnage");
  o.y = "other";
  check_input_error([&] { sweep_series(out.string(), o); }, "no finite values");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
