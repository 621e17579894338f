// Output folders (docs/output.md): a result appears complete or not at all, an earlier result is
// replaced only by a complete one, and an interrupted run resumes to the same bytes.
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "support.hpp"

namespace fs = std::filesystem;
using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("gradflow_resumable_run_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

/// relu2 with a weight flow, its discrete twin, an error method measuring its gap to gf, and
/// a momentum flow: every kind of dependency a resume has to respect.
Experiment experiment(const std::string& extra = "") {
  Config c = Config::parse(R"(
seed = 3
[data]
kind = "sphere"
n = 6
d = 3
[model]
kind = "relu2"
width = 40
[run]
t_end = 2.0
samples = 21
[[methods]]
kind = "gf"
[[methods]]
kind = "error_gf"
[[methods]]
kind = "hbf"
[[methods]]
kind = "gd"
eta = 0.05
)" + extra, "run folder test");
  return parse_experiment(c);
}

/// Raises the interrupt flag at the `at`-th sample of `method`, as SIGINT would.
class InterruptAt final : public Observer {
 public:
  InterruptAt(std::string method, int at) : method_(std::move(method)), at_(at) {}
  std::optional<Stop> on_sample(const std::string& method, const std::vector<double>&) override {
    if (method == method_ && ++seen_ == at_) request_interrupt(SIGINT);
    return std::nullopt;
  }

 private:
  std::string method_;
  int at_, seen_ = 0;
};

/// run.json without what depends on the clock.
nlohmann::json timeless(nlohmann::json j) {
  j.erase("wall_seconds");
  for (auto& m : j["methods"])
    if (m.contains("counters")) m["counters"].erase("wall_seconds");
  return j;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(resumable_run)

BOOST_AUTO_TEST_CASE(an_existing_result_is_refused_unless_forced) {
  const fs::path out = scratch("existing");
  put(out / "run.json", "{}");
  BOOST_CHECK_THROW(OutputFolder(out.string(), Existing::refuse, "run.json"), input_error);
  BOOST_CHECK_NO_THROW(OutputFolder(out.string(), Existing::replace, "run.json"));
  // A folder that is not gradflow's is never replaced, even with --force.
  const fs::path foreign = scratch("foreign");
  put(foreign / "thesis.tex", "precious");
  BOOST_CHECK_THROW(OutputFolder(foreign.string(), Existing::replace, "run.json"), input_error);
  BOOST_CHECK_THROW(OutputFolder("/", Existing::replace, "run.json"), input_error);
  BOOST_CHECK_THROW(OutputFolder(".", Existing::replace, "run.json"), input_error);
  // An empty folder is as good as none.
  const fs::path empty = scratch("empty");
  fs::create_directories(empty);
  BOOST_CHECK_NO_THROW(OutputFolder(empty.string(), Existing::refuse, "run.json"));
}

BOOST_AUTO_TEST_CASE(an_earlier_result_survives_an_unfinished_replacement) {
  const fs::path out = scratch("survives");
  put(out / "run.json", "old");
  {
    OutputFolder folder(out.string(), Existing::replace, "run.json");
    folder.open();
    put(fs::path(folder.work()) / "run.json", "new, half written");
    BOOST_TEST(fs::exists(folder.work()));
  }  // dies uncommitted, as on an error
  BOOST_TEST(slurp(out / "run.json") == "old");
  BOOST_TEST(!fs::exists(out.string() + ".partial"), "the unfinished work folder is removed");
  {
    OutputFolder folder(out.string(), Existing::replace, "run.json");
    folder.open();
    put(fs::path(folder.work()) / "run.json", "new");
    folder.commit();
  }
  BOOST_TEST(slurp(out / "run.json") == "new");
  BOOST_TEST(!fs::exists(out.string() + ".partial"));
  BOOST_TEST(!fs::exists(out.string() + ".old"));
}

BOOST_AUTO_TEST_CASE(two_writers_never_share_a_folder) {
  const fs::path out = scratch("locked");
  OutputFolder first(out.string(), Existing::refuse, "run.json");
  first.open();
  put(fs::path(first.work()) / "run.json", "{}");
  OutputFolder second(out.string(), Existing::replace, "run.json");
  BOOST_CHECK_THROW(second.open(), input_error);  // flock held by the first
  BOOST_TEST(fs::exists(fs::path(first.work()) / "run.json"), "the first writer's files are untouched");
}

BOOST_AUTO_TEST_CASE(an_interrupted_run_resumes_to_the_same_bytes) {
  const Experiment e = experiment();
  const fs::path whole = scratch("whole"), cut = scratch("cut");
  nlohmann::json reference;
  {
    OutputFolder folder(whole.string(), Existing::refuse, "run.json");
    const FolderRun r = run_in_folder(e, folder, {});
    BOOST_REQUIRE(!r.interrupted);
    folder.commit();
    reference = r.report;
  }
  {
    OutputFolder folder(cut.string(), Existing::refuse, "run.json");
    InterruptAt interrupt("hbf", 7);
    const FolderRun r = run_in_folder(e, folder, {&interrupt});
    request_interrupt(0);
    BOOST_TEST(r.interrupted);
    BOOST_TEST(r.signal == SIGINT);
  }
  const fs::path work = cut.string() + ".partial";
  BOOST_REQUIRE(fs::exists(work / "run.json"));
  BOOST_TEST(!fs::exists(cut), "an interrupted run is never at --out");
  const auto partial = nlohmann::json::parse(slurp(work / "run.json"));
  BOOST_TEST(partial["status"] == "interrupted");
  BOOST_TEST(partial["methods"][0]["status"] == "completed");  // gf ran first (weight flows first)
  BOOST_TEST(partial["methods"][2]["status"] == "interrupted");
  BOOST_TEST(partial["methods"][2]["rows"] == 7, "the interrupted method keeps its rows");
  BOOST_TEST(partial["methods"][1]["status"] == "pending");    // error_gf runs after the weight flows
  BOOST_TEST(partial["methods"][3]["status"] == "pending");
  BOOST_TEST(!fs::exists(work / "gd_eta0.05.csv"));

  // The same experiment resumes; another one is refused, naming what differs.
  BOOST_CHECK_EXCEPTION(
      {
        OutputFolder folder(cut.string(), Existing::resume, "run.json");
        run_in_folder(experiment("[[methods]]\nkind = \"nag_flow\"\n"), folder, {});
      },
      input_error, [](const input_error& x) { return std::string(x.what()).find("differs") != std::string::npos; });
  {
    OutputFolder folder(cut.string(), Existing::resume, "run.json");
    const FolderRun r = run_in_folder(e, folder, {});
    BOOST_REQUIRE(!r.interrupted);
    folder.commit();
  }
  for (const auto& entry : fs::directory_iterator(whole)) {
    const auto name = entry.path().filename();
    if (entry.path().extension() == ".csv") BOOST_TEST(slurp(entry.path()) == slurp(cut / name), name << " identical");
  }
  BOOST_TEST(timeless(nlohmann::json::parse(slurp(cut / "run.json"))) == timeless(reference));
  BOOST_CHECK_THROW(OutputFolder(cut.string(), Existing::resume, "run.json"), input_error);  // nothing to resume
}

BOOST_AUTO_TEST_CASE(invalid_input_writes_nothing) {
  const fs::path out = scratch("invalid");
  // The damping is evaluated when the method is prepared, after the data and model exist.
  const Experiment e = experiment("[[methods]]\nkind = \"hbf\"\nname = \"hbf_bad\"\ndamping = \"sqrt(-lambda0)\"\n");
  OutputFolder folder(out.string(), Existing::refuse, "run.json");
  BOOST_CHECK_THROW(run_in_folder(e, folder, {}), input_error);
  BOOST_TEST(!fs::exists(out.string() + ".partial"));
  BOOST_TEST(!fs::exists(out));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
