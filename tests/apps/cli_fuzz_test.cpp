// Fuzzing the command line as a hostile or careless user would (issue 17): mutations of a tiny
// experiment through the real `gradflow run`, `compare` and `theory`. Every case must end with
// exit 0, or with exit 2 and exactly one line on stderr; never a signal, exit 3 or a hang; and
// after exit 2 its fresh --out must not exist. The seed and the count are fixed, so a failure
// is a reproducer: the failing file is kept and its command printed. GRADFLOW_FUZZ_SEED and
// GRADFLOW_FUZZ_CASES override them to explore further; GRADFLOW_FUZZ_VERBOSE=1 prints every case.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

extern char** environ;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

// Each accepted run takes well under 0.2 s; the second-order and discrete kinds are all here.
const std::vector<std::string> base_lines = {
    "seed = 1",
    "[data]",
    "kind = \"sphere\"",
    "n = 5",
    "d = 3",
    "[model]",
    "kind = \"relu2\"",
    "width = 20",
    "[loss]",
    "reduction = \"sum\"",
    "[run]",
    "t_end = 0.5",
    "samples = 6",
    "grid = \"linear\"",
    "rtol = 1e-6",
    "[[methods]]",
    "kind = \"gf\"",
    "[[methods]]",
    "kind = \"hbf\"",
    "damping = \"sqrt(2*lambda0)\"",
    "[[methods]]",
    "kind = \"nag_flow\"",
    "gamma = 3.0",
    "[[methods]]",
    "kind = \"gd\"",
    "eta = 0.05",
    "[[methods]]",
    "kind = \"hb\"",
    "eta = 0.01",
    "[[methods]]",
    "kind = \"error_nag\"",
    "alpha = \"2*gamma/3\"",
};

const std::vector<std::string> kinds = {
    "gf", "hbf", "nag_flow", "nag_sc_flow", "modified_gf", "gd", "hb", "nag", "nag_sc", "gd_xu_fixed",
    "gd_xu_adaptive", "error_gf", "error_hbf", "error_nag", "exact_gf", "exact_hbf", "exact_nag",
    "relu2", "two_layer", "linear", "linear2", "scalar", "sphere", "gaussian", "teacher", "csv", "digits",
    "sgd", "GF", "gf ", "", "adam"};

const std::vector<std::string> keys = {
    "kind", "n", "d", "k", "width", "eta", "damping", "gamma", "alpha", "t0", "mu", "name", "stepper", "rtol",
    "atol", "max_steps", "switching", "kernel", "init", "init_scale", "activation", "scaling", "t_end",
    "samples", "grid", "path", "normalize", "label_scale", "noise", "teacher_width", "y", "w1", "w2",
    "imbalance", "beta", "outer_scale", "reduction", "loss_target", "divergence", "dt0", "seed", "orthogonal",
    "target_columns", "header", "bogus", "kind.kind"};

const std::vector<std::string> hostile_values = {
    "0", "-1", "-0.0", "1", "2", "3.5", "1e308", "-1e308", "1e-320", "nan", "+inf", "-inf", "1e9", "2e5", "1e7",
    "9223372036854775807", "-9223372036854775808", "99999999999999999999", "0x7fffffff", "1_0", "1e12",  // 1_000 as data.n is valid but slow
    "\"\"", "\"x\"", "\"a\\nb\"", "\"x\\u0000a\"", "\"\\\"quoted\\\"\"", "\"'\"", "\"é☃\"", "\"a\\n!touch INJECTED #\"",
    "\"sqrt(2*lambda0)\"", "\"2*gamma/3\"", "\"lambda0^-1\"", "\"log(0)\"", "\"sqrt(-1)\"", "\"1/0\"", "\"((1)\"",
    "\"../../x\"", "\"/dev/null\"", "\"dopri5\"", "\"euler\"", "\"auto\"", "\"frozen\"", "\"tanh\"", "\"log\"",
    "true", "false", "[]", "[1, 2]", "[\"a\"]", "{ a = 1 }", "{}", "[[1]]", "1979-05-27T07:32:00Z", "'literal'",
    "\"\"\"multi\nline\"\"\""};

// Values that often keep the experiment valid, so that a good share of the cases really run.
const std::vector<std::string> plausible_values = {
    "0.1", "0.02", "0.3", "2", "4", "10", "1e-4", "\"tanh\"", "\"softplus\"", "\"log\"", "\"ntk\"", "\"mean_field\"",
    "\"two_layer\"", "\"linear2\"", "\"gaussian\"", "\"teacher\"", "\"linear\"", "\"infinite\"", "\"coupled\"",
    "\"off\"", "\"cash_karp54\"", "\"fehlberg78\"", "\"mean\"", "\"xavier\"", "\"he\"", "\"m1\"", "\"2*lambda0\"",
    "\"n/2\"", "true", "false"};

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

struct Case {
  std::string text;
  std::vector<std::string> sets;  // --set arguments
  std::string what;               // the mutations, for the failure message
};

class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed) {}

  Case next() {
    Case c;
    std::vector<std::string> lines = base_lines;
    const int count = pick(2) == 0 ? 1 : 1 + pick(3);
    bool truncate = false;
    for (int m = 0; m < count; ++m) {
      const std::size_t at = pick(lines.size());
      const bool is_key = lines[at].find('=') != std::string::npos;
      std::ostringstream w;
      switch (pick(3) == 0 ? 99 : pick(13)) {
        case 99: {
          const std::string v = one(plausible_values);
          w << "line " << at << " value := " << v;
          if (is_key) lines[at] = lines[at].substr(0, lines[at].find('=')) + "= " + v;
          break;
        }
        case 0:
          w << "delete line " << at;
          lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        case 1:
          w << "duplicate line " << at;
          lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), lines[at]);
          break;
        case 2: {
          const std::size_t other = pick(lines.size());
          w << "swap values of lines " << at << " and " << other;
          if (is_key && lines[other].find('=') != std::string::npos) {
            const auto a = lines[at].find('='), b = lines[other].find('=');
            const std::string va = lines[at].substr(a), vb = lines[other].substr(b);
            lines[at] = lines[at].substr(0, a) + vb;
            lines[other] = lines[other].substr(0, b) + va;
          }
          break;
        }
        case 3:
        case 4: {
          const std::string v = one(hostile_values);
          w << "line " << at << " value := " << v;
          if (is_key) lines[at] = lines[at].substr(0, lines[at].find('=')) + "= " + v;
          break;
        }
        case 5: {
          const std::string k = one(kinds);
          w << "line " << at << " := kind " << k;
          lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), "kind = \"" + k + "\"");
          break;
        }
        case 6: {
          const std::string line = one(keys) + " = " + one(hostile_values);
          w << "insert at " << at << ": " << line;
          lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), line);
          break;
        }
        case 7: {
          const std::string line = "[[methods]]\nkind = \"" + one(kinds) + "\"\n" + one(keys) + " = " + one(hostile_values);
          w << "append method: " << line;
          lines.push_back(line);
          break;
        }
        case 8: {
          const std::size_t depth = std::size_t{1} << (3 + pick(14));  // 8 .. 65536
          const int shape = pick(5);
          w << "deep nesting " << shape << " of " << depth;
          if (shape == 0) lines.insert(lines.begin(), repeat("a.", depth) + "a = 1");
          else if (shape == 1) lines.push_back("[" + repeat("b.", depth) + "b]\nx = 1");
          else if (shape == 2) lines.insert(lines.begin(), "deep = " + repeat("[", depth) + repeat("]", depth));
          else if (shape == 3) lines.push_back("damping = \"" + repeat("(", depth) + "1" + repeat(")", depth) + "\"");
          else lines.push_back("alpha = \"" + repeat("-", depth) + "2" + repeat("^2", depth) + "\"");
          break;
        }
        case 9:
          w << "truncate";
          truncate = true;
          break;
        case 10: {
          static const std::string sizes[] = {"n", "d", "width", "samples", "max_steps", "k"};
          const std::string line = sizes[pick(6)] + " = " + one(hostile_values);
          w << "insert at " << at << ": " << line;
          lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), line);
          break;
        }
        case 11: {
          const std::string set = set_argument();
          w << "--set " << set;
          c.sets.push_back(set);
          break;
        }
        default: {
          // A byte changed to one that TOML or a shell treats specially.
          static const char bytes[] = {'\0', '\n', '"', '\'', '[', ']', '=', '.', '#', '\\', '{', ',', '\x7f',
                                       '\xff', '\t', 'e', '9', '-'};
          std::string& line = lines[at];
          const char b = bytes[pick(sizeof bytes)];
          if (!line.empty()) line[pick(line.size())] = b;
          w << "byte " << static_cast<int>(static_cast<unsigned char>(b)) << " into line " << at;
        }
      }
      c.what += (c.what.empty() ? "" : "; ") + w.str().substr(0, 200);
    }
    for (const auto& l : lines) c.text += l + "\n";
    if (truncate) c.text.resize(pick(c.text.size() + 1));
    return c;
  }

 private:
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  int pick(int n) { return static_cast<int>(pick(static_cast<std::size_t>(n))); }
  const std::string& one(const std::vector<std::string>& v) { return v[pick(v.size())]; }

  std::string set_argument() {
    static const std::vector<std::string> sets = {
        "methods.99999999999999999999.kind=gf", "methods.0.kind=gf", "methods.7.kind=gf", "methods.1.eta=-1",
        "methods.2.damping=((1)", "model.width=1e7", "data.n=2e5", "data.d=100000000", "run.t_end=1e300",
        "run.t_end=1e12", "methods.4.eta=1e-12", "methods.3.gamma=3e9", "run.samples=200001", ".=1", "x=",
        "a..b=1", "methods=1", "methods.1=2", "data.kind.x=1", "run.rtol=nan", "methods.1.name=x\nb",
        "methods.1.name=" + repeat("n", 70), "model.kind=scalar", "data.kind=scalar", "data.kind=csv",
        "data.path=/nonexistent.csv", "seed=-1", "seed=18446744073709551616"};
    // At most 2^15 parts: one argument is limited to 128 KiB (MAX_ARG_STRLEN).
    if (pick(4) == 0) return repeat("a.", std::size_t{1} << (3 + pick(13))) + "a=1";
    if (pick(4) == 0) return one(keys) + "=" + one(hostile_values);
    return one(sets);
  }

  std::mt19937_64 rng_;
};

struct Outcome {
  int code = -1;    // exit code, or -1
  int signal = 0;   // the terminating signal, or 0
  bool timed_out = false;
  std::string err;  // stderr
};

/// Runs the CLI with `args` in `cwd` (stdout discarded), killing it after `limit`. Without
/// `gnuplot`, PATH holds no gnuplot, so figures are skipped (most cases; drawing is slow).
Outcome spawn(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& err_file, bool gnuplot,
              std::chrono::seconds limit) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e)
    if (gnuplot || std::string(*e).rfind("PATH=", 0) != 0) env_strings.emplace_back(*e);
  if (!gnuplot) env_strings.emplace_back("PATH=/nonexistent");
  std::vector<char*> argv{const_cast<char*>(GRADFLOW_CLI)}, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string dir = cwd.string(), err = err_file.string();

  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::setpgid(0, 0);
    const int out = ::open("/dev/null", O_WRONLY), e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || e < 0 || ::chdir(dir.c_str()) != 0) ::_exit(127);
    ::dup2(out, 1);
    ::dup2(e, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  Outcome o;
  BOOST_REQUIRE(pid > 0);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      o.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) o.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  std::ifstream in(err_file);
  o.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return o;
}

/// The first of `out` and its siblings `out.*` (a temporary folder of the run) that exists, or "".
std::string leftovers(const fs::path& root, const fs::path& out) {
  const std::string name = out.filename().string();
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string n = e.path().filename().string();
    if (n == name || n.rfind(name + ".", 0) == 0) return n;
  }
  return "";
}

std::uint64_t from_env(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoull(v) : fallback;
}

std::string quoted_args(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += " '" + a.substr(0, 300) + (a.size() > 300 ? "...'" : "'");
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_fuzz)

BOOST_AUTO_TEST_CASE(mutated_experiments_end_cleanly) {
  const std::uint64_t seed = from_env("GRADFLOW_FUZZ_SEED", 17), cases = from_env("GRADFLOW_FUZZ_CASES", 300);
  const bool verbose = from_env("GRADFLOW_FUZZ_VERBOSE", 0) != 0;  // one line per case
  BOOST_TEST_MESSAGE("cli_fuzz: " << cases << " mutated experiments from seed " << seed
                                  << " (GRADFLOW_FUZZ_SEED, GRADFLOW_FUZZ_CASES)");
  const fs::path root = fs::temp_directory_path() / ("gradflow_fuzz_" + std::to_string(::getpid()));
  const fs::path work = root / "cwd", kept = root / "failures";
  fs::create_directories(work);
  fs::create_directories(kept);

  Mutator mutator(seed);
  std::size_t exit0 = 0, exit2 = 0, failed = 0;
  const auto begin = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < cases; ++i) {
    const Case c = mutator.next();
    const fs::path file = root / "case.toml", out = root / ("out" + std::to_string(i));
    std::ofstream(file, std::ios::binary) << c.text;
    // Mostly run; every fifth compare and every seventh theory (which writes one file).
    std::vector<std::string> args;
    fs::path written = out;
    std::string report = "run.json";
    if (i % 5 == 4) {
      args = {"compare", file.string(), "--eta", "0.1,0.05", "--out", out.string()};
      report = "compare.json";
    } else if (i % 7 == 6) {
      args = {"theory", file.string(), "--out", (out / "theory.json").string()};
      report = "theory.json";
    } else {
      args = {"run", file.string(), "--no-live", "--out", out.string()};
    }
    for (const auto& s : c.sets) args.insert(args.begin() + 2, {"--set", s});
    const bool gnuplot = i % 30 == 29;
    const Outcome o = spawn(args, work, root / "stderr.txt", gnuplot, std::chrono::seconds(20));

    std::string problem;
    const auto lines = std::count(o.err.begin(), o.err.end(), '\n');
    if (o.timed_out) problem = "still running after 20 s";
    else if (o.signal) problem = "killed by signal " + std::to_string(o.signal);
    else if (o.code == 2 && (lines != 1 || o.err.back() != '\n')) problem = "exit 2 with " + std::to_string(lines) + " lines on stderr";
    else if (o.code == 2 && !leftovers(root, out).empty()) problem = "exit 2, but " + leftovers(root, out) + " exists";
    else if (o.code == 0 && !fs::exists(out / report)) problem = "exit 0 without " + report;
    else if (o.code != 0 && o.code != 2) problem = "exit " + std::to_string(o.code);
    (o.code == 0 ? exit0 : exit2) += problem.empty() ? 1 : 0;
    if (verbose)
      BOOST_TEST_MESSAGE("case " << i << " " << args[0] << " exit " << o.code << ": " << c.what << " -> "
                                 << o.err.substr(0, o.err.find('\n')).substr(0, 200));
    if (!problem.empty()) {
      ++failed;
      const fs::path copy = kept / ("case" + std::to_string(i) + ".toml");
      fs::copy_file(file, copy, fs::copy_options::overwrite_existing);
      for (auto& a : args)
        if (a == file.string()) a = copy.string();
      BOOST_ERROR("case " << i << ": " << problem << "\n  mutations: " << c.what << "\n  reproduce: gradflow"
                          << quoted_args(args) << (gnuplot ? "" : "   (PATH without gnuplot)")
                          << "\n  stderr: " << o.err.substr(0, 600));
    }
    std::error_code ec;
    fs::remove_all(out, ec);
    fs::remove_all(out.string() + ".partial", ec);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  BOOST_TEST_MESSAGE("cli_fuzz: " << exit0 << " ran (exit 0), " << exit2 << " refused in one line (exit 2), "
                                  << failed << " failed, in " << seconds << " s");
  BOOST_TEST(!fs::exists(work / "INJECTED"), "a name reached a shell through gnuplot");
  if (failed == 0) fs::remove_all(root);
  else BOOST_TEST_MESSAGE("cli_fuzz: failing files kept in " << kept.string());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
