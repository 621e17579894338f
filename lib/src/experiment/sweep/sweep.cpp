// The sweep's own folder: which points are done, handing out the others, sweep.json and
// sweep.csv after each, and the progress lines.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/file.h>
#include <unistd.h>

#include "gradflow/core/error.hpp"
#include "gradflow/core/interrupt.hpp"
#include "gradflow/core/quote.hpp"
#include "gradflow/experiment/output_folder.hpp"
#include "gradflow/experiment/sweep.hpp"
#include "table.hpp"

namespace gradflow {
namespace {

namespace fs = std::filesystem;

nlohmann::json grid_json(const SweepPlan& plan) {
  nlohmann::json axes = nlohmann::json::array();
  for (const auto& a : plan.axes) axes.push_back({{"key", a.key}, {"values", a.values}, {"zip", a.zip}});
  return axes;
}

std::string duration(double seconds) {
  char buf[32];
  const long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  return buf;
}

/// The folder's lock, held while the sweep runs (two sweeps never share a folder).
class FolderLock {
 public:
  explicit FolderLock(const fs::path& folder) {
    fd_ = ::open((folder / ".sweep.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw input_error("--out: cannot write in '" + folder.string() + "'");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
      throw input_error("--out: another sweep is running in '" + folder.string() + "'");
  }
  ~FolderLock() { ::close(fd_); }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

struct PointState {
  std::string status = "pending";  ///< pending | running | complete | interrupted | failed
  std::string message;
  double wall_seconds = 0.0;
  long runs = 0;  ///< how often this point was started, over every invocation of the sweep
  std::vector<SweepRow> rows;
};

}  // namespace

SweepSummary run_sweep(const SweepPlan& plan, const SweepOptions& options,
                       const std::function<std::unique_ptr<SweepExecutor>(const std::string&)>& make_executor) {
  const fs::path out = options.out;
  require_printable(options.out, "--out");
  std::error_code ec;
  const fs::path report_path = out / "sweep.json";
  if (fs::exists(out, ec) && !fs::is_directory(out, ec)) throw input_error("--out: '" + options.out + "' is not a folder");
  if (fs::is_directory(out, ec) && fs::directory_iterator(out, ec) != fs::directory_iterator() && !fs::exists(report_path))
    throw input_error("--out: '" + options.out + "' is not empty and holds no sweep.json; gradflow writes only into its own sweep folders");

  // An earlier sweep here must be this one, unless --force starts it again.
  nlohmann::json earlier;
  if (fs::exists(report_path)) {
    std::ifstream in(report_path);
    earlier = nlohmann::json::parse(in, nullptr, false);
    if (earlier.is_discarded()) throw input_error("--out: '" + report_path.string() + "' is not valid JSON");
    if (!options.force) {
      const nlohmann::json diff = nlohmann::json::diff(earlier.value("base_config", nlohmann::json()), plan.base_config);
      if (earlier.value("grid", nlohmann::json()) != grid_json(plan))
        throw input_error("--out: '" + options.out + "' holds a sweep over another grid; --force reruns it with this one");
      if (!diff.empty())
        throw input_error("--out: '" + options.out + "' holds a sweep of another experiment (it differs at '" +
                          diff.front().value("path", std::string("/")) + "'); --force reruns it with this one");
    }
  }

  fs::create_directories(out / "points", ec);
  if (ec) throw input_error("--out: cannot create '" + (out / "points").string() + "': " + ec.message());
  const FolderLock lock(out);
  const std::string points_dir = (out / "points").string();

  std::vector<PointState> state(plan.points.size());
  if (earlier.contains("points"))
    for (const auto& p : earlier["points"]) {
      const std::size_t i = p.value("index", plan.points.size());
      if (i >= plan.points.size() || p.value("name", "") != plan.points[i].name) continue;
      state[i].runs = p.value("runs", 0L);
      if (!options.force && !options.retry_failed && p.value("status", "") == "failed") {
        state[i].status = "failed";
        state[i].message = p.value("message", "");
      }
    }

  SweepSummary summary;
  summary.points = plan.points.size();
  std::vector<std::size_t> queue;
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const fs::path folder = fs::path(points_dir) / plan.points[i].name;
    std::ifstream in(folder / "run.json");
    const nlohmann::json run = nlohmann::json::parse(in, nullptr, false);
    if (!options.force && !run.is_discarded() && run.value("status", "") == "complete") {
      state[i].status = "complete";
      state[i].rows = read_point_rows(folder);
      ++summary.skipped;
    } else if (state[i].status != "failed") {
      queue.push_back(i);
    }
  }
  // Largest first, so that the last points to finish are short ones.
  std::stable_sort(queue.begin(), queue.end(),
                   [&](std::size_t a, std::size_t b) { return plan.points[a].cost > plan.points[b].cost; });

  nlohmann::json last_invocation;  // filled in at the end
  auto write_reports = [&](const char* status) {
    nlohmann::json j;
    j["gradflow_version"] = GRADFLOW_VERSION;
    j["status"] = status;
    j["source"] = plan.source;
    j["sets"] = plan.sets;
    j["grid"] = grid_json(plan);
    j["base_config"] = plan.base_config;
    if (!last_invocation.is_null()) j["last_invocation"] = last_invocation;
    j["points"] = nlohmann::json::array();
    std::vector<PointRows> rows;
    for (std::size_t i = 0; i < plan.points.size(); ++i) {
      const auto& p = plan.points[i];
      nlohmann::json coords = nlohmann::json::object();
      for (const auto& [k, v] : p.coordinates) coords[k] = v;
      j["points"].push_back({{"index", i},
                             {"name", p.name},
                             {"coordinates", coords},
                             {"status", state[i].status},
                             {"message", state[i].message},
                             {"wall_seconds", state[i].wall_seconds},
                             {"runs", state[i].runs}});
      if (state[i].status == "complete" || state[i].status == "failed") rows.push_back({i, state[i].status, state[i].rows});
    }
    write_atomically((out / "sweep.csv").string(), sweep_csv(plan, rows));
    write_atomically(report_path.string(), j.dump(2) + "\n");
  };
  write_reports("running");

  const auto executor = make_executor(points_dir);
  const auto start = std::chrono::steady_clock::now();
  const std::size_t todo = queue.size();
  std::size_t next = 0, running = 0, finished = 0;
  double busy_seconds = 0.0;
  auto progress_bar = [&] {
    if (options.quiet) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string eta = "?";
    if (finished > 0) eta = duration(elapsed / static_cast<double>(finished) * static_cast<double>(todo - finished));
    std::fprintf(stderr, "\r\033[K  %zu/%zu done, %zu failed, %zu running, ETA %s", summary.skipped + summary.done,
                 summary.points, summary.failed, running, eta.c_str());
    std::fflush(stderr);
  };

  while (true) {
    while (!interrupt_signal() && running < executor->slots() && next < queue.size()) {
      const std::size_t i = queue[next++];
      state[i].status = "running";
      ++state[i].runs;
      write_reports("running");
      executor->start(i);
      ++running;
      progress_bar();
    }
    if (running == 0) break;
    const auto ended = executor->wait();
    if (!ended) break;
    --running;
    ++finished;
    const auto [i, outcome] = *ended;
    PointState& s = state[i];
    s.status = outcome.status;
    s.message = outcome.message;
    s.wall_seconds = outcome.wall_seconds;
    busy_seconds += outcome.wall_seconds;
    if (s.status == "complete") {
      s.rows = read_point_rows(fs::path(points_dir) / plan.points[i].name);
      ++summary.done;
    } else if (s.status == "failed") {
      ++summary.failed;
    } else {
      summary.interrupted = true;
    }
    ++summary.ran;
    write_reports("running");
    if (!options.quiet) std::fprintf(stderr, "\r\033[K");
    if (options.on_point) options.on_point(finished, todo, plan.points[i], outcome);
    progress_bar();
  }
  if (!options.quiet) std::fprintf(stderr, "\r\033[K");

  summary.signal = interrupt_signal();
  summary.interrupted = summary.interrupted || next < queue.size();
  std::size_t complete = 0, failed = 0;
  for (const auto& s : state) {
    complete += s.status == "complete";
    failed += s.status == "failed";
  }
  summary.done = complete;
  summary.failed = failed;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.busy_fraction = elapsed > 0 ? busy_seconds / (elapsed * static_cast<double>(executor->slots())) : 0.0;
  summary.wall_seconds = elapsed;
  last_invocation = {{"slots", executor->slots()},    {"ran", summary.ran},
                     {"wall_seconds", elapsed},       {"busy_fraction", summary.busy_fraction}};
  write_reports(summary.interrupted ? "interrupted" : complete == plan.points.size() ? "complete" : "failed");
  return summary;
}

}  // namespace gradflow
