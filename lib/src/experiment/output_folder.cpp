#include "gradflow/experiment/output_folder.hpp"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/file.h>
#include <unistd.h>

#include "gradflow/core/error.hpp"
#include "gradflow/core/quote.hpp"

namespace gradflow {
namespace {

namespace fs = std::filesystem;

bool non_empty_folder(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && fs::directory_iterator(p, ec) != fs::directory_iterator();
}

/// A descriptor of `folder` holding its exclusive lock, or -1 when another process holds it.
int lock_folder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw input_error("--out: cannot open '" + folder + "'");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

OutputFolder::OutputFolder(std::string target, Existing existing, std::string marker)
    : marker_(std::move(marker)), existing_(existing) {
  require_printable(target, "--out");  // the folder's path reaches gnuplot scripts
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  const std::string name = fs::path(target).filename().string();
  if (target.empty() || name.empty() || name == "." || name == ".." || target == "/")
    throw input_error("--out: name a folder to create, not '" + target + "'");
  target_ = target;
  work_ = target + ".partial";

  std::error_code ec;
  const bool target_exists = fs::exists(target_, ec);
  if (target_exists && !fs::is_directory(target_, ec)) throw input_error("--out: '" + target_ + "' exists and is not a folder");
  const bool target_result = fs::exists(fs::path(target_) / marker_, ec);
  if (non_empty_folder(target_) && !target_result)
    throw input_error("--out: '" + target_ + "' is not empty and holds no " + marker_ +
                      "; gradflow replaces only its own output folders");
  const bool work_exists = fs::exists(work_, ec);
  switch (existing_) {
    case Existing::refuse:
      if (target_result)
        throw input_error("--out: '" + target_ + "' holds an earlier result (" + marker_ +
                          "); --force replaces it once the new one is complete");
      if (work_exists)
        throw input_error("--out: '" + work_ + "' holds an unfinished result; --resume continues an interrupted run, --force discards it");
      break;
    case Existing::replace:
      if (work_exists && !fs::is_directory(work_, ec)) throw input_error("--out: '" + work_ + "' exists and is not a folder");
      break;
    case Existing::resume:
      if (!fs::exists(fs::path(work_) / marker_, ec))
        throw input_error(target_result ? "--resume: '" + target_ + "' is complete; there is nothing to resume"
                                        : "--resume: there is no unfinished run in '" + work_ + "'");
      break;
  }
}

OutputFolder::~OutputFolder() {
  if (!committed_ && created_ && !keep_) {
    std::error_code ec;
    fs::remove_all(work_, ec);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void OutputFolder::open() {
  if (lock_fd_ >= 0) return;
  std::error_code ec;
  if (const auto parent = fs::path(work_).parent_path(); !parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) throw input_error("--out: cannot create folder '" + parent.string() + "': " + ec.message());
  }
  const std::string busy = "--out: another gradflow is writing '" + work_ + "'";
  if (!resuming() && fs::exists(work_, ec)) {  // --force: an unfinished result is discarded
    const int fd = lock_folder(work_);
    if (fd < 0) throw input_error(busy);
    fs::remove_all(work_, ec);
    ::close(fd);
    if (ec) throw input_error("--out: cannot remove '" + work_ + "': " + ec.message());
  }
  if (!resuming()) {
    fs::create_directory(work_, ec);
    if (ec) throw input_error("--out: cannot create folder '" + work_ + "': " + ec.message());
    created_ = true;
  }
  lock_fd_ = lock_folder(work_);
  if (lock_fd_ < 0) throw input_error(busy);
}

void OutputFolder::commit() {
  open();
  std::error_code ec;
  const std::string old = target_ + ".old";
  if (fs::exists(target_, ec)) {
    fs::remove_all(old, ec);
    fs::rename(target_, old, ec);
    if (ec) throw input_error("--out: cannot move the earlier '" + target_ + "' aside: " + ec.message());
  }
  fs::rename(work_, target_, ec);
  if (ec) {
    const std::string why = ec.message();
    if (fs::exists(old)) fs::rename(old, target_, ec);  // the earlier result stays
    throw input_error("--out: cannot rename '" + work_ + "' to '" + target_ + "': " + why);
  }
  committed_ = true;
  fs::remove_all(old, ec);
  ::close(lock_fd_);
  lock_fd_ = -1;
}

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    os << text;
    os.flush();
    if (!os) throw input_error("cannot write '" + path + "'");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw input_error("cannot write '" + path + "': " + ec.message());
}

}  // namespace gradflow
