#include "gradflow/experiment/resumable_run.hpp"

#include <filesystem>
#include <fstream>

#include "gradflow/core/error.hpp"
#include "gradflow/core/interrupt.hpp"
#include "gradflow/experiment/run_report.hpp"
#include "gradflow/observe/sink.hpp"

namespace gradflow {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_report(const std::string& path) {
  std::ifstream in(path);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("methods") || !j["methods"].is_array())
    throw input_error("--resume: '" + path + "' is not a readable run report");
  return j;
}

/// The interrupted run must be this experiment: same version, seed and resolved configuration.
void require_same_experiment(const nlohmann::json& before, const Experiment& e, const std::string& path) {
  const nlohmann::json now = provenance(e);
  for (auto it = now.begin(); it != now.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& value = it.value();
    if (before.value(key, nlohmann::json()) == value) continue;
    std::string where = key;
    if (key == "config") {
      const auto patch = nlohmann::json::diff(before.value(key, nlohmann::json()), value);
      if (!patch.empty()) where = "config" + patch.front().value("path", std::string());
    }
    throw input_error("--resume: the experiment differs from the interrupted run in '" + path + "' (" + where +
                      "); resume with the same file and --set options, or start again with --force");
  }
  if (before["methods"].size() != e.methods.size())
    throw input_error("--resume: '" + path + "' lists another number of methods");
}

}  // namespace

FolderRun run_in_folder(const Experiment& e, OutputFolder& folder, std::vector<Observer*> observers) {
  const std::string report_path = (fs::path(folder.work()) / "run.json").string();

  // Resuming: the finished methods keep their entries and CSVs.
  std::vector<nlohmann::json> kept(e.methods.size());
  RunHooks hooks;
  hooks.skip.assign(e.methods.size(), false);
  if (folder.resuming()) {
    const nlohmann::json before = read_report(report_path);
    require_same_experiment(before, e, report_path);
    for (std::size_t i = 0; i < e.methods.size(); ++i) {
      const nlohmann::json& m = before["methods"][i];
      const std::string status = m.value("status", "");
      if (status.empty() || status == to_string(Status::interrupted) || status == to_string(Status::pending)) continue;
      kept[i] = m;
      hooks.skip[i] = true;
    }
    // An error method measures its gap to its weight-space twin's samples, which only a run
    // of the twin produces: a finished twin of a method that runs again runs again too.
    for (std::size_t i = 0; i < e.methods.size(); ++i) {
      if (hooks.skip[i]) continue;
      for (const std::string& twin : e.methods[i].descriptor().twins)
        for (std::size_t j = 0; j < e.methods.size(); ++j)
          if (e.methods[j].kind == twin && e.methods[j].descriptor().space == Space::weights) hooks.skip[j] = false;
    }
    for (std::size_t i = 0; i < e.methods.size(); ++i)
      if (!hooks.skip[i]) kept[i] = nullptr;
  }

  FolderRun out;
  auto write = [&](const RunResult& r, const char* status) {
    out.report = run_report(e, r);
    for (std::size_t i = 0; i < kept.size(); ++i)
      if (!kept[i].is_null()) out.report["methods"][i] = kept[i];
    out.report["status"] = status;
    write_atomically(report_path, out.report.dump(2) + "\n");
  };
  hooks.on_progress = [&](const RunResult& r) {
    folder.open();  // every method is prepared: from here on files are written
    write(r, "running");
  };

  CsvSink csv(folder.work());
  observers.insert(observers.begin(), &csv);
  const RunResult result = run_experiment(e, observers, hooks);
  out.signal = interrupt_signal();
  for (std::size_t i = 0; i < result.methods.size(); ++i)
    if (!hooks.skip[i] && !finished(result.methods[i].outcome.status)) out.interrupted = true;
  write(result, out.interrupted ? "interrupted" : "complete");
  if (out.interrupted) folder.keep();
  return out;
}

}  // namespace gradflow
