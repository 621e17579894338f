#include "gradflow/observe/progress.hpp"

#include <cstdio>

namespace gradflow {

void ProgressLine::on_begin(const std::string& method, const std::vector<std::string>&) {
  method_ = method;
  last_ = {};
}

std::optional<Stop> ProgressLine::on_sample(const std::string&, const std::vector<double>& row) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return std::nullopt;
  last_ = now;
  std::fprintf(stderr, "\r  %-18s t = %-10.4g / %g (%3.0f%%)  ", method_.c_str(), row[0], t_end_, 100.0 * row[0] / t_end_);
  return std::nullopt;
}

void ProgressLine::on_end(const std::string&, const Outcome&) { std::fprintf(stderr, "\r%70s\r", ""); }

}  // namespace gradflow
