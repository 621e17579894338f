#pragma once
// Sweeps (`gradflow sweep`, docs/sweeps.md): a grid of ordinary runs over any keys of an
// experiment, each point a run folder under OUT/points/, with OUT/sweep.json (the grid and
// every point's status) and OUT/sweep.csv (one row per point × method) rewritten atomically
// as each point ends.
//
// Axes form a product; the axes of one zip group advance together and count as one factor.
// A point is done when its folder is committed (its run.json says "complete"). Running the
// sweep again skips the done points, continues the interrupted ones (--resume of run) and,
// with retry_failed, reruns the failed ones. Each point runs in one process on one thread, so
// its numbers do not depend on how many points run at once or where.
#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gradflow/experiment/experiment.hpp"

namespace gradflow {

struct SweepAxis {
  std::string key;                  ///< a dotted experiment key, e.g. "model.width", "seed"
  std::vector<std::string> values;  ///< TOML value texts, as `--set key=value` takes them
  bool zip = false;                 ///< advances with the other zip axes (equal lengths)
};

/// Axes of the command line: "key=v1,v2,..." where an item "a..b" is the integers a to b.
SweepAxis parse_axis(const std::string& assignment, bool zip);

struct SweepPoint {
  std::size_t index = 0;  ///< position in the grid (the first axis varies slowest)
  std::string name;       ///< folder name under points/: "007_model.width=400__seed=2"
  std::vector<std::pair<std::string, std::string>> coordinates;  ///< (key, value text) per axis
  double cost = 1.0;      ///< a relative estimate of its run time: larger points start first
};

struct SweepPlan {
  std::string base_text, source;  ///< the experiment's TOML without its [sweep] table
  std::vector<std::string> sets;  ///< --set options applied to every point before its axes
  std::vector<SweepAxis> axes;
  std::vector<SweepPoint> points;
  nlohmann::json base_config;     ///< the resolved configuration of the base experiment

  /// The point's experiment: base, then sets, then its coordinates.
  Experiment experiment(const SweepPoint& point) const;
};

/// Reads the experiment (`file`, or the embedded default when empty) and its [sweep] table,
/// adds the command line's axes (which replace a file axis of the same key), and validates every
/// point's experiment. Throws input_error, naming the axis or the point, before anything runs.
SweepPlan plan_sweep(const std::string& file, const std::vector<std::string>& sets,
                     const std::vector<std::string>& grid, const std::vector<std::string>& zip);
/// As plan_sweep(), from the experiment's TOML text; `source` names it in messages.
SweepPlan plan_sweep_text(const std::string& text, const std::string& source, const std::vector<std::string>& sets,
                          const std::vector<std::string>& grid, const std::vector<std::string>& zip);

/// How one point ended.
struct PointOutcome {
  std::string status;   ///< complete | interrupted | failed
  std::string message;  ///< why it failed, or ""
  double wall_seconds = 0.0;
};

/// An outcome as text and back: how a point's process (forked, or an MPI rank) reports it.
std::string encode_outcome(const PointOutcome& outcome);
PointOutcome decode_outcome(const std::string& text);

struct PointOptions {
  bool figures = false;  ///< draw each point's figures (gradflow plot draws them later otherwise)
};

/// Runs one point into points_dir/<name> (continuing its interrupted run, replacing an earlier
/// result); never throws.
PointOutcome run_point(const SweepPlan& plan, const SweepPoint& point, const std::string& points_dir,
                       const PointOptions& options);

/// Where points run. The sweep hands out point indices and collects what they did; the CLI adds
/// an MPI executor beside the local one.
class SweepExecutor {
 public:
  virtual ~SweepExecutor() = default;
  virtual std::size_t slots() const = 0;  ///< points that may run at once
  virtual void start(std::size_t point) = 0;
  /// Blocks until a started point ends: its index and outcome. Empty when nothing runs.
  virtual std::optional<std::pair<std::size_t, PointOutcome>> wait() = 0;
  /// Asks the running points to stop (they end "interrupted").
  virtual void interrupt(int signal) = 0;
};

/// Points in this process (jobs = 1) or in up to `jobs` forked processes at once.
std::unique_ptr<SweepExecutor> local_executor(const SweepPlan& plan, const std::string& points_dir,
                                              const PointOptions& options, std::size_t jobs);

struct SweepOptions {
  std::string out;
  bool force = false;         ///< rerun every point
  bool retry_failed = false;  ///< rerun the points that failed
  bool quiet = false;         ///< no progress bar on stderr
  /// Called as each point ends: how many of this invocation's points ended, of how many.
  std::function<void(std::size_t ended, std::size_t todo, const SweepPoint&, const PointOutcome&)> on_point;
};

struct SweepSummary {
  std::size_t points = 0;   ///< in the grid
  std::size_t done = 0;     ///< complete at the end, the skipped ones included
  std::size_t skipped = 0;  ///< complete before this invocation
  std::size_t ran = 0;      ///< points this invocation ran (to any end)
  std::size_t failed = 0;   ///< failed at the end (earlier failures kept included)
  bool interrupted = false;
  int signal = 0;
  double wall_seconds = 0.0;
  double busy_fraction = 0.0;  ///< the points' wall time over the slots' (1 − the idle fraction)
};

/// Runs the plan's points that are not done on `executor`, rewriting sweep.json and sweep.csv
/// as each ends. `make_executor` is called once the folder is checked and locked.
SweepSummary run_sweep(const SweepPlan& plan, const SweepOptions& options,
                       const std::function<std::unique_ptr<SweepExecutor>(const std::string& points_dir)>& make_executor);

/// The summary metrics of sweep.csv, in column order (docs/sweeps.md defines each).
const std::vector<std::string>& sweep_metrics();

}  // namespace gradflow
