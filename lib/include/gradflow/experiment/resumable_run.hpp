#pragma once
// `gradflow run` into an output folder (experiment/output_folder.hpp, docs/output.md).
//
// run.json is written first, once every method is prepared ("status": "running", every
// method "pending"), and again, atomically, as each method ends; each method's CSV grows row by
// row. After SIGINT/SIGTERM the running method ends "interrupted" with its rows and run.json
// says "interrupted". Resuming keeps the finished methods (their CSVs and entries) and runs
// the others again from their start; the runs are deterministic, so the result equals an
// uninterrupted run's byte for byte (the wall-clock fields aside).
#include <nlohmann/json.hpp>
#include <vector>

#include "gradflow/experiment/output_folder.hpp"
#include "gradflow/experiment/runner.hpp"

namespace gradflow {

struct FolderRun {
  nlohmann::json report;    ///< run.json as last written
  bool interrupted = false;  ///< a method ended interrupted or never started
  int signal = 0;            ///< the signal received (SIGINT, SIGTERM), or 0
};

/// Runs `experiment` into folder.work(), adding a CSV writer to `observers`. The folder is
/// opened only when every method is prepared, so invalid input writes nothing. The caller
/// commits the folder (after drawing figures) unless `interrupted`.
FolderRun run_in_folder(const Experiment& experiment, OutputFolder& folder, std::vector<Observer*> observers);

}  // namespace gradflow
