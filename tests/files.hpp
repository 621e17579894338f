#pragma once
// Shared helpers of the tests that write folders: a fresh scratch path and a file's content.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace gradflow::test {

/// A path under the temporary folder, unique to this process and `suite`, removed first.
inline std::filesystem::path scratch(const std::string& suite, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("gradflow_" + suite + "_" + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir.parent_path());
  return dir;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace gradflow::test
