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

const char* const kLockFile = "run.lock";

// The pid written by the holder; 0 when the file is empty or unreadable.
long pid_in(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}

}  // namespace

RunLock::RunLock(RunLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

RunLock RunLock::acquire(const fs::path& run_dir) {
  const fs::path file = run_dir / kLockFile;
  // O_CLOEXEC: trial workers must not inherit (and so prolong) the lock.
  int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(file.string() + ": cannot open the run lock: " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    long pid = pid_in(fd);
    close(fd);
    if (err == EWOULDBLOCK)
      throw Error(run_dir.string() + ": in use by another mctsnas process" +
                  (pid > 0 ? " (pid " + std::to_string(pid) + ")" : std::string()) +
                  "; wait for it to finish or stop it (Ctrl-C, or kill -INT " +
                  (pid > 0 ? std::to_string(pid) : std::string("PID")) + ") before resuming");
    throw Error(file.string() + ": cannot lock the run directory: " + std::strerror(err));
  }
  std::string pid = std::to_string(static_cast<long>(getpid())) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int err = errno;
    close(fd);
    throw Error(file.string() + ": cannot write the run lock: " + std::strerror(err));
  }
  return RunLock(fd);
}

std::optional<long> RunLock::holder(const fs::path& run_dir) {
  int fd = open((run_dir / kLockFile).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // never locked, or unreadable: nothing to report
  std::optional<long> pid;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) pid = pid_in(fd);
  } else {
    flock(fd, LOCK_UN);
  }
  close(fd);
  return pid;
}

}  // namespace mctsnas
