// `gradflow sweep` as a user runs it: killed and rerun, and under mpirun (docs/sweeps.md).
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace fs = std::filesystem;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {
using gradflow::test::slurp;
using gradflow::test::spawn;
using gradflow::test::wait_exit;

namespace {

fs::path scratch(const std::string& name) { return gradflow::test::scratch("sweep_cli", name); }

std::vector<std::string> sweep_args(const fs::path& out, const std::string& width_values) {
  return {GRADFLOW_CLI, "sweep",  "--out", out.string(), "--set", "data.n=10", "--set", "data.d=4", "--set",
          "run.t_end=8", "--set", "run.samples=81", "--grid", "model.width=" + width_values, "--grid", "seed=1..3"};
}

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(slurp(p), nullptr, false); }

std::size_t complete_points(const nlohmann::json& sweep) {
  std::size_t n = 0;
  if (!sweep.is_discarded() && sweep.contains("points"))
    for (const auto& p : sweep["points"]) n += p["status"] == "complete";
  return n;
}

/// sweep.csv without its wall_seconds column (the last), which is the one that may differ.
std::string table(const fs::path& out) {
  std::istringstream in(slurp(out / "sweep.csv"));
  std::string line, text;
  while (std::getline(in, line)) text += line.substr(0, line.rfind(',')) + "\n";
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sweep_cli)

BOOST_AUTO_TEST_CASE(a_sweep_killed_after_two_points_reruns_each_of_the_others_once) {
  const fs::path whole = scratch("whole"), cut = scratch("cut");
  BOOST_REQUIRE(wait_exit(spawn(sweep_args(whole, "100,200"))) == 0);

  const pid_t pid = spawn(sweep_args(cut, "100,200"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (complete_points(read_json(cut / "sweep.json")) < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  kill(pid, SIGKILL);
  wait_exit(pid);
  const nlohmann::json before = read_json(cut / "sweep.json");
  BOOST_REQUIRE(!before.is_discarded());
  const std::size_t done = complete_points(before);
  BOOST_TEST(done >= 2u);
  BOOST_TEST(done < 6u, "the kill came before the sweep ended");

  BOOST_REQUIRE(wait_exit(spawn(sweep_args(cut, "100,200"))) == 0);
  const nlohmann::json after = read_json(cut / "sweep.json");
  BOOST_TEST(after["status"] == "complete");
  BOOST_TEST(complete_points(after) == 6u);
  for (std::size_t i = 0; i < 6; ++i) {
    const bool was_done = before["points"][i]["status"] == "complete";
    const long runs_before = before["points"][i]["runs"], runs_after = after["points"][i]["runs"];
    BOOST_TEST(runs_after - runs_before == (was_done ? 0 : 1), "point " << i << " ran once after the kill, or not at all when done");
  }
  BOOST_TEST(table(cut) == table(whole));
  BOOST_TEST(wait_exit(spawn(sweep_args(cut, "100,200,400"))) == 2);  // another grid in the same folder
}

BOOST_AUTO_TEST_CASE(serial_two_jobs_and_three_mpi_ranks_give_one_table) {
  const fs::path serial = scratch("serial"), jobs = scratch("jobs"), ranks = scratch("ranks");
  BOOST_REQUIRE(wait_exit(spawn(sweep_args(serial, "10,30"))) == 0);
  auto parallel = sweep_args(jobs, "10,30");
  parallel.insert(parallel.end(), {"-j", "2"});
  BOOST_REQUIRE(wait_exit(spawn(parallel)) == 0);
  BOOST_TEST(table(jobs) == table(serial));
#ifdef GRADFLOW_MPIEXEC
  // CI runs as root; Open MPI refuses that unless told, and 3 ranks need --oversubscribe on 2 cores.
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  auto mpi = sweep_args(ranks, "10,30");
  mpi.insert(mpi.begin(), {GRADFLOW_MPIEXEC, "--oversubscribe", "-np", "3"});
  BOOST_REQUIRE(wait_exit(spawn(mpi)) == 0);
  BOOST_TEST(table(ranks) == table(serial));
  BOOST_TEST(read_json(ranks / "sweep.json")["status"] == "complete");
#else
  BOOST_TEST_MESSAGE("MPI is not built (GRADFLOW_MPI=OFF) or this is the sanitizer tree: the mpirun part is skipped");
#endif
}

BOOST_AUTO_TEST_CASE(sweep_plot_draws_the_metric_against_the_axis) {
  const fs::path out = scratch("plot");
  BOOST_REQUIRE(wait_exit(spawn(sweep_args(out, "10,100"))) == 0);
  BOOST_REQUIRE(wait_exit(spawn({GRADFLOW_CLI, "sweep-plot", out.string(), "--x", "model.width", "--y", "max_w_change",
                                 "--method", "gf"})) == 0);
  if (std::system("command -v gnuplot >/dev/null 2>&1") == 0)
    BOOST_TEST(fs::file_size(out / "sweep_max_w_change_vs_model.width.png") > 1000u);
  BOOST_TEST(wait_exit(spawn({GRADFLOW_CLI, "sweep-plot", out.string(), "--x", "seeds", "--y", "max_w_change"})) == 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
