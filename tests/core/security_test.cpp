// Issue 17's security reproducers: no user text reaches gnuplot or a shell as a command.
// Each case is named after the failure it guards against.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"

namespace fs = std::filesystem;
using namespace gradflow;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

fs::path scratch() {
  static const fs::path dir = fs::temp_directory_path() / ("gradflow_security_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

struct Result {
  int code;
  std::string err;
};

/// Runs the CLI inside the scratch folder, so a file an injected command creates lands there.
Result run_in_scratch(const std::string& args) {
  const fs::path err = scratch() / "stderr.txt";
  const std::string cmd = "cd " + scratch().string() + " && " + GRADFLOW_CLI + " " + args + " > /dev/null 2> " + err.string();
  const int status = std::system(cmd.c_str());
  std::ifstream in(err);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, std::string(std::istreambuf_iterator<char>(in), {})};
}

std::string write(const std::string& name, const std::string& text) {
  const fs::path p = scratch() / name;
  std::ofstream(p) << text;
  return p.string();
}

const std::string tiny_gf = R"(
[data]
n = 4
d = 2
[model]
kind = "relu2"
width = 8
[run]
t_end = 0.2
samples = 3
[[methods]]
kind = "gf"
)";

void expect_refused(const Result& r, const std::string& names) {
  BOOST_TEST(r.code == 2, "exit " << r.code << ": " << r.err);
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "one line: " << r.err);
  BOOST_TEST(r.err.find(names) != std::string::npos, "'" << r.err << "' names " << names);
  BOOST_TEST(!fs::exists(scratch() / "INJECTED"), "no command ran");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(security)

BOOST_AUTO_TEST_CASE(gnuplot_quote_doubles_quotes_and_refuses_control_characters) {
  BOOST_TEST(gnuplot_quote("it's", "x") == "'it''s'");
  BOOST_TEST(shell_quote("it's", "x") == "'it'\\''s'");
  BOOST_CHECK_THROW(gnuplot_quote("a\n!touch INJECTED", "x"), input_error);
  BOOST_CHECK_THROW(shell_quote(std::string("a\0b", 3), "x"), input_error);
  BOOST_TEST(printable("a\nb\tc\x01") == "a\\nb\\tc\\x01");
}

BOOST_AUTO_TEST_CASE(identifier_rule) {
  for (const char* ok : {"gf", "gd_eta0.05", "nag-sc.2", "A1"}) BOOST_CHECK_NO_THROW(require_identifier(ok, "k"));
  for (const std::string& bad : std::vector<std::string>{"", "a b", "a/b", "..", "a\nb", std::string("x\0a", 3), "<cmd", "a'b", std::string(65, 'a')})
    BOOST_CHECK_THROW(require_identifier(bad, "k"), input_error);
}

BOOST_AUTO_TEST_CASE(method_name_with_newline_runs_no_shell_command) {
  const std::string file = write("inject.toml", tiny_gf + "name = \"a\\n!touch\\tINJECTED\\t#\"\n");
  expect_refused(run_in_scratch("run " + file + " --no-live --out " + (scratch() / "inject").string()), "methods.1.name");
  BOOST_TEST(!fs::exists(scratch() / "inject" / "run.json"));
}

BOOST_AUTO_TEST_CASE(nul_bytes_in_names_do_not_collide) {
  const std::string file = write("nul.toml", tiny_gf + "name = \"x\\u0000a\"\n[[methods]]\nkind = \"gf\"\nname = \"x\\u0000b\"\n");
  expect_refused(run_in_scratch("run " + file + " --no-live --out " + (scratch() / "nul").string()), "methods.1.name");
}

BOOST_AUTO_TEST_CASE(newline_in_out_folder_runs_no_shell_command) {
  const std::string file = write("plain.toml", tiny_gf);
  expect_refused(run_in_scratch("run " + file + " --no-live --out \"$(printf 'o\\n!touch INJECTED\\nx')\""), "--out");
}

BOOST_AUTO_TEST_CASE(quote_in_out_folder_is_a_plain_character) {
  const std::string file = write("plain.toml", tiny_gf);
  const Result r = run_in_scratch("run " + file + " --no-live --out \"q'uote\"");
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(fs::exists(scratch() / "q'uote" / "run.json"));
  BOOST_TEST(fs::exists(scratch() / "q'uote" / "loss.png"), "the figure was drawn into the quoted folder");
}

BOOST_AUTO_TEST_CASE(plot_of_a_forged_run_folder_reads_no_pipe) {
  // A colleague's folder whose run.json names a method '<touch INJECTED': gnuplot would read
  // a file name starting with '<' as a shell pipe.
  const fs::path dir = scratch() / "forged";
  fs::create_directories(dir);
  std::ofstream(dir / "run.json") << R"({"methods": [{"name": "<touch INJECTED", "kind": "gf"}]})";
  std::ofstream(dir / "<touch INJECTED.csv") << "t,loss\n0,1\n1,0.5\n";
  expect_refused(run_in_scratch("plot " + dir.string()), "methods.name");
}

BOOST_AUTO_TEST_CASE(live_column_names_are_identifiers) {
  const std::string file = write("plain.toml", tiny_gf);
  expect_refused(run_in_scratch("run " + file + " --live \"$(printf 'loss\\n!touch INJECTED')\" --out " + (scratch() / "live").string()),
                 "--live");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
