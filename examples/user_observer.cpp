// user_observer: a user-defined observer on a whole experiment. It runs the embedded default
// experiment (gf, hbf, nag_flow, gd, hb, nag on Du et al.'s relu2 net), scaled down with
// Config::set exactly as `gradflow run --set` would, and watches every method's rows:
//
//   on_begin(method, columns)   finds the "loss" column by name (t is always column 0)
//   on_sample(method, row)      returns a Stop once the loss has halved: the method ends there
//   on_end(method, outcome)     prints how the method ended
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gradflow/experiment/config.hpp"
#include "gradflow/experiment/experiment.hpp"
#include "gradflow/experiment/runner.hpp"
#include "gradflow/observe/sink.hpp"

/// Stops each method once its loss falls to half its first value.
class HalfLossStop : public gradflow::Observer {
 public:
  void on_begin(const std::string& method, const std::vector<std::string>& columns) override {
    for (std::size_t i = 0; i < columns.size(); ++i)
      if (columns[i] == "loss") loss_column_[method] = i;
  }

  std::optional<gradflow::Stop> on_sample(const std::string& method, const std::vector<double>& row) override {
    const double loss = row.at(loss_column_.at(method));
    const double first = loss0_.try_emplace(method, loss).first->second;  // the first row's loss
    if (loss > 0.5 * first) return std::nullopt;
    return gradflow::Stop{gradflow::Status::target_reached, "loss halved at t = " + std::to_string(row[0])};
  }

  void on_end(const std::string& method, const gradflow::Outcome& outcome) override {
    std::printf("%-10s %-15s t = %-6.3g %s\n", method.c_str(), gradflow::to_string(outcome.status).c_str(), outcome.t,
                outcome.message.c_str());
    if (outcome.status == gradflow::Status::target_reached) ++halved;
  }

  int halved = 0;

 private:
  std::map<std::string, std::size_t> loss_column_;
  std::map<std::string, double> loss0_;
};

int main() {
  gradflow::Config config = gradflow::Config::parse(gradflow::default_experiment_toml(), "default");
  config.set("data.n=20");
  config.set("model.width=100");
  config.set("run.t_end=20");
  config.set("run.samples=81");
  const gradflow::Experiment experiment = gradflow::parse_experiment(config);

  HalfLossStop observer;
  const gradflow::RunResult result = gradflow::run_experiment(experiment, {&observer});

  std::printf("%d of %zu methods halved their loss\n", observer.halved, result.methods.size());
  return observer.halved > 0 ? 0 : 1;
}
