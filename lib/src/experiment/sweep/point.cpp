// One sweep point as an ordinary run folder, and the local executor: in this process, or in
// forked processes, one point each.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gradflow/core/error.hpp"
#include "gradflow/core/interrupt.hpp"
#include "gradflow/experiment/output_folder.hpp"
#include "gradflow/experiment/resumable_run.hpp"
#include "gradflow/experiment/sweep.hpp"
#include "gradflow/plot/figure.hpp"
#include "gradflow/plot/render.hpp"

namespace gradflow {
namespace {

namespace fs = std::filesystem;

}  // namespace

/// Status, wall seconds and message, one per line.
std::string encode_outcome(const PointOutcome& o) {
  std::string message = o.message;
  for (char& c : message)
    if (c == '\n') c = ' ';
  return o.status + "\n" + std::to_string(o.wall_seconds) + "\n" + message + "\n";
}

PointOutcome decode_outcome(const std::string& text) {
  PointOutcome o;
  const auto a = text.find('\n');
  const auto b = a == std::string::npos ? a : text.find('\n', a + 1);
  if (b == std::string::npos) return {"failed", "the point's process ended without a report", 0.0};
  o.status = text.substr(0, a);
  o.wall_seconds = std::strtod(text.c_str() + a + 1, nullptr);
  o.message = text.substr(b + 1);
  if (!o.message.empty() && o.message.back() == '\n') o.message.pop_back();
  return o;
}

namespace {

class InProcess final : public SweepExecutor {
 public:
  InProcess(const SweepPlan& plan, std::string dir, PointOptions options)
      : plan_(plan), dir_(std::move(dir)), options_(options) {}
  std::size_t slots() const override { return 1; }
  void start(std::size_t point) override {
    done_ = std::make_pair(point, run_point(plan_, plan_.points[point], dir_, options_));
  }
  std::optional<std::pair<std::size_t, PointOutcome>> wait() override { return std::exchange(done_, std::nullopt); }
  void interrupt(int) override {}  // the running point sees the signal itself

 private:
  const SweepPlan& plan_;
  std::string dir_;
  PointOptions options_;
  std::optional<std::pair<std::size_t, PointOutcome>> done_;
};

class Forked final : public SweepExecutor {
 public:
  Forked(const SweepPlan& plan, std::string dir, PointOptions options, std::size_t jobs)
      : plan_(plan), dir_(std::move(dir)), options_(options), jobs_(jobs) {}
  ~Forked() override {
    for (const auto& [pid, child] : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ::close(child.pipe);
    }
  }
  std::size_t slots() const override { return jobs_; }

  void start(std::size_t point) override {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("sweep: cannot create a pipe");
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("sweep: cannot fork");
    if (pid == 0) {
      ::close(fds[0]);
      ::setpgid(0, 0);                     // the terminal's Ctrl-C reaches the sweep, which forwards it once
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a killed sweep takes its points with it
      if (::getppid() != parent) ::_exit(1);
      const std::string report = encode_outcome(run_point(plan_, plan_.points[point], dir_, options_));
      for (std::size_t sent = 0; sent < report.size();) {
        const ssize_t k = ::write(fds[1], report.data() + sent, report.size() - sent);
        if (k <= 0) break;
        sent += static_cast<std::size_t>(k);
      }
      ::_exit(0);  // no destructors or atexit handlers of the parent's state
    }
    ::close(fds[1]);
    children_[pid] = {point, fds[0]};
  }

  std::optional<std::pair<std::size_t, PointOutcome>> wait() override {
    while (!children_.empty()) {
      // Polled, so that a signal to the sweep reaches the points (in their own process group) once.
      if (const int signal = interrupt_signal(); signal && !forwarded_) {
        forwarded_ = true;
        interrupt(signal);
      }
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid == 0 || (pid < 0 && errno == EINTR)) {
        ::usleep(20000);
        continue;
      }
      if (pid < 0) throw std::runtime_error("sweep: waitpid failed");
      const auto it = children_.find(pid);
      if (it == children_.end()) continue;
      std::string text;
      char buf[4096];
      for (ssize_t k; (k = ::read(it->second.pipe, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(k));
      ::close(it->second.pipe);
      const std::size_t point = it->second.point;
      children_.erase(it);
      PointOutcome outcome = decode_outcome(text);
      if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        outcome = sig == SIGINT || sig == SIGTERM
                      ? PointOutcome{"interrupted", "killed by signal " + std::to_string(sig), 0.0}
                      : PointOutcome{"failed", "the point's process died of signal " + std::to_string(sig), 0.0};
      }
      return std::make_pair(point, outcome);
    }
    return std::nullopt;
  }

  void interrupt(int signal) override {
    for (const auto& [pid, child] : children_) ::kill(pid, signal);
  }

 private:
  struct Child {
    std::size_t point;
    int pipe;
  };
  const SweepPlan& plan_;
  std::string dir_;
  PointOptions options_;
  std::size_t jobs_;
  std::map<pid_t, Child> children_;
  bool forwarded_ = false;
};

}  // namespace

PointOutcome run_point(const SweepPlan& plan, const SweepPoint& point, const std::string& points_dir,
                       const PointOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  try {
    const Experiment experiment = plan.experiment(point);
    const std::string target = (fs::path(points_dir) / point.name).string();
    // An interrupted run continues; anything else starts again (replacing a forced point's result).
    const bool unfinished = fs::exists(fs::path(target + ".partial") / "run.json");
    OutputFolder folder(target, unfinished ? Existing::resume : Existing::replace, "run.json");
    const FolderRun run = run_in_folder(experiment, folder, {});
    if (run.interrupted) return {"interrupted", "", seconds()};
    if (options.figures && gnuplot_available()) render_run_figures(folder.work());
    folder.commit();
    return {"complete", "", seconds()};
  } catch (const std::exception& e) {
    return {"failed", e.what(), seconds()};
  }
}

std::unique_ptr<SweepExecutor> local_executor(const SweepPlan& plan, const std::string& points_dir,
                                              const PointOptions& options, std::size_t jobs) {
  if (jobs <= 1) return std::make_unique<InProcess>(plan, points_dir, options);
  return std::make_unique<Forked>(plan, points_dir, options, jobs);
}

}  // namespace gradflow
