#pragma once
// Helpers of the benchmarks that run a Python peer (SciPy, PyTorch): the interpreter and
// script locations, a scratch directory for the shared problem, raw binary arrays, and the
// peer's `RESULT key=value ...` lines.
//
// Files are raw little-endian float64 in Eigen's column-major order; the peers read them with
// numpy.fromfile(...).reshape(shape, order="F").
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradflow/core/types.hpp"

namespace bench {

namespace fs = std::filesystem;

/// The interpreter that owns Debian's numpy/scipy/torch (not necessarily the first python3 on PATH).
inline std::string python() {
  const char* p = std::getenv("GRADFLOW_PYTHON");
  return p && *p ? p : "/usr/bin/python3";
}

/// bench/python/<name>: GRADFLOW_BENCH_DIR points at bench/ (relative to the working directory).
inline std::string peer_script(const std::string& name) {
  const char* d = std::getenv("GRADFLOW_BENCH_DIR");
  return (fs::path(d && *d ? d : "bench") / "python" / name).string();
}

/// A scratch directory removed at exit of scope.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "gradflow-bench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a scratch directory");
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline void write_bin(const std::string& path, const gradflow::Mat& A) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(A.data()), static_cast<std::streamsize>(A.size() * sizeof(double)));
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline gradflow::Vec read_bin(const std::string& path, gradflow::Index size) {
  gradflow::Vec v(size);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(size * sizeof(double)));
  if (!in) throw std::runtime_error("cannot read " + std::to_string(size) + " doubles from " + path);
  return v;
}

/// /proc/loadavg's 1, 5 and 15 minute averages: the machine is shared, so each report says how busy it was.
inline std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return in ? a + " " + b + " " + c : "unknown";
}

/// One `RESULT k=v k=v ...` line of a peer.
struct Record {
  std::map<std::string, std::string> kv;
  bool has(const std::string& k) const { return kv.count(k) > 0; }
  std::string str(const std::string& k) const {
    auto it = kv.find(k);
    return it == kv.end() ? "" : it->second;
  }
  double num(const std::string& k) const {
    auto it = kv.find(k);
    return it == kv.end() ? std::nan("") : std::stod(it->second);
  }
};

/// Runs `args` through the peer interpreter; RESULT lines are parsed, INFO lines kept, and the
/// rest (warnings) forwarded to stderr. Throws when the peer fails.
inline std::vector<Record> run_peer(const std::string& script, const std::string& args,
                                    std::vector<std::string>* info = nullptr) {
  const std::string cmd = python() + " " + peer_script(script) + " " + args;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot start: " + cmd);
  std::vector<Record> out;
  std::array<char, 4096> buf;
  std::string line;
  while (std::fgets(buf.data(), buf.size(), pipe)) {
    line += buf.data();
    if (line.empty() || line.back() != '\n') continue;
    line.pop_back();
    if (line.rfind("RESULT ", 0) == 0) {
      Record r;
      std::istringstream is(line.substr(7));
      std::string tok;
      while (is >> tok) {
        const auto eq = tok.find('=');
        if (eq != std::string::npos) r.kv[tok.substr(0, eq)] = tok.substr(eq + 1);
      }
      out.push_back(std::move(r));
    } else if (line.rfind("INFO ", 0) == 0) {
      if (info) info->push_back(line.substr(5));
    } else {
      std::fprintf(stderr, "peer: %s\n", line.c_str());
    }
    line.clear();
  }
  const int rc = pclose(pipe);
  if (rc != 0) throw std::runtime_error("peer failed (status " + std::to_string(rc) + "): " + cmd);
  return out;
}

}  // namespace bench
