#pragma once
// An output folder that is never seen half-written (docs/output.md).
//
// Everything is written into the sibling "<out>.partial", which is renamed to <out> when the
// command has written all of it. So <out> is always a complete result or absent: a crash, a
// kill or a full disk leaves at most a ".partial" folder, and an earlier complete <out> is
// replaced only by a complete new one. While open, the work folder is locked (flock), so two
// commands never write into one folder.
#include <string>

namespace gradflow {

/// What to do when <out> (or <out>.partial) already exists.
enum class Existing {
  refuse,   ///< exit 2, naming --force and --resume
  replace,  ///< --force: an earlier run there is replaced when the new one completes
  resume    ///< --resume: continue the interrupted run in <out>.partial
};

class OutputFolder {
 public:
  /// Checks `target` and its ".partial" sibling against `existing`; creates nothing. `marker`
  /// is the file that makes a folder gradflow's (run.json, compare.json, summary.json): a
  /// folder without it is never replaced.
  OutputFolder(std::string target, Existing existing, std::string marker);
  ~OutputFolder();  ///< an uncommitted work folder this process created is removed, unless kept
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  const std::string& target() const { return target_; }
  const std::string& work() const { return work_; }  ///< where to write: "<target>.partial"
  bool resuming() const { return existing_ == Existing::resume; }

  /// Creates (or, resuming, reopens) the work folder and locks it. Idempotent.
  void open();
  /// Leaves the work folder in place when this object dies uncommitted (an interrupted run).
  void keep() { keep_ = true; }
  /// Renames the work folder to the target, replacing an earlier result there.
  void commit();

 private:
  std::string target_, work_, marker_;
  Existing existing_;
  int lock_fd_ = -1;
  bool created_ = false, keep_ = false, committed_ = false;
};

/// Writes `text` to `path` through a temporary sibling and a rename, so a reader sees the old
/// file or the new one, never a part.
void write_atomically(const std::string& path, const std::string& text);

}  // namespace gradflow
