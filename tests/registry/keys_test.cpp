// Documentation that cannot drift: docs/experiment.md's kind tables are exactly what
// `gradflow keys --markdown` prints from the registries of the shipped binary.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string output_of(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    while (const std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keys)

BOOST_AUTO_TEST_CASE(experiment_docs_list_exactly_the_registered_keys) {
  const std::string docs = read(std::string(GRADFLOW_TEST_DIR) + "/../docs/experiment.md");
  const std::string begin = "<!-- keys:begin -->\n", end = "<!-- keys:end -->";
  const auto a = docs.find(begin), b = docs.find(end);
  BOOST_REQUIRE_MESSAGE(a != std::string::npos && b != std::string::npos, "docs/experiment.md has the keys markers");
  const std::string documented = docs.substr(a + begin.size(), b - a - begin.size());
  const std::string generated = output_of(std::string(GRADFLOW_CLI) + " keys --markdown");
  BOOST_REQUIRE(!generated.empty());
  // On a mismatch, regenerate the section with `gradflow keys --markdown`.
  BOOST_TEST(documented == generated);
}

BOOST_AUTO_TEST_CASE(every_kind_is_listed_with_its_keys) {
  const std::string text = output_of(std::string(GRADFLOW_CLI) + " keys");
  for (const char* kind : {"relu2", "two_layer", "linear", "linear2", "scalar", "gf", "modified_gf", "gd", "hb", "hbf",
                           "nag", "nag_flow", "nag_sc", "nag_sc_flow", "gd_xu_fixed", "gd_xu_adaptive", "error_gf",
                           "error_hbf", "error_nag", "exact_gf", "exact_hbf", "exact_nag"})
    BOOST_TEST(text.find("kind = \"" + std::string(kind) + "\"") != std::string::npos, kind);
  // Keys shared across kind files are copied during static initialisation: none may be empty.
  const std::string error_nag = output_of(std::string(GRADFLOW_CLI) + " keys error_nag");
  BOOST_TEST(error_nag.find("\n  t0 ") != std::string::npos, error_nag);
  const std::string hb = output_of(std::string(GRADFLOW_CLI) + " keys hb");
  for (const char* key : {"eta", "damping", "beta", "name"}) BOOST_TEST(hb.find("  " + std::string(key) + " ") != std::string::npos, key);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
