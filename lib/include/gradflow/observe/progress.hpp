#pragma once
// One status line on stderr while a method runs: its name, the flow time reached and the
// share done, redrawn at most ten times a second.
#include <chrono>

#include "gradflow/observe/sink.hpp"

namespace gradflow {

class ProgressLine final : public Observer {
 public:
  explicit ProgressLine(double t_end) : t_end_(t_end) {}
  void on_begin(const std::string& method, const std::vector<std::string>&) override;
  std::optional<Stop> on_sample(const std::string&, const std::vector<double>& row) override;
  void on_end(const std::string&, const Outcome&) override;

 private:
  double t_end_;
  std::string method_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace gradflow
