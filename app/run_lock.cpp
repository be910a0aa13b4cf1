#include "app/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "common/error.h"

namespace mctsnas {
namespace fs = std::filesystem;

namespace {

const char* const kPidFile = "run.lock";

// The pid written by the holder; 0 when the file is missing, empty or unreadable.
long pid_in(const fs::path& run_dir) {
  int fd = open((run_dir / kPidFile).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  close(fd);
  return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}

// O_CLOEXEC: trial workers must not inherit (and so prolong) the lock.
int open_dir(const fs::path& run_dir) {
  return open(run_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

}  // namespace

RunLock::RunLock(RunLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), pid_file_(std::move(other.pid_file_)) {}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    pid_file_ = std::move(other.pid_file_);
  }
  return *this;
}

RunLock::~RunLock() { release(); }

void RunLock::release() {
  if (fd_ < 0) return;
  unlink(pid_file_.c_str());   // while still held: a newcomer never sees our stale pid
  close(fd_);                  // releases the flock
  fd_ = -1;
}

RunLock RunLock::acquire(const fs::path& run_dir) {
  int fd = open_dir(run_dir);
  if (fd < 0) throw Error(run_dir.string() + ": cannot open the run directory to lock it: " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    long pid = pid_in(run_dir);
    if (err == EWOULDBLOCK)
      throw Error(run_dir.string() + ": in use by another mctsnas process" +
                  (pid > 0 ? " (pid " + std::to_string(pid) + ")" : std::string()) +
                  "; wait for it to finish or stop it (Ctrl-C, or kill -INT " +
                  (pid > 0 ? std::to_string(pid) : std::string("PID")) + ") before resuming");
    throw Error(run_dir.string() + ": cannot lock the run directory: " + std::strerror(err));
  }
  // The pid file is informational; written without following a planted symlink.
  const fs::path file = run_dir / kPidFile;
  unlink(file.c_str());
  int pf = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  std::string pid = std::to_string(static_cast<long>(getpid())) + "\n";
  bool ok = pf >= 0 && write(pf, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
  int err = errno;
  if (pf >= 0) close(pf);
  if (!ok) {
    close(fd);
    throw Error(file.string() + ": cannot write the run lock: " + std::strerror(err));
  }
  return RunLock(fd, file);
}

std::optional<long> RunLock::holder(const fs::path& run_dir) {
  int fd = open_dir(run_dir);
  if (fd < 0) return std::nullopt;
  std::optional<long> pid;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) pid = pid_in(run_dir);
  } else {
    flock(fd, LOCK_UN);
  }
  close(fd);
  return pid;
}

}  // namespace mctsnas
