#pragma once
// One live process per run directory. `search` and `resume` hold an exclusive
// flock on the run directory itself for as long as they run, so a second `resume`
// of a run that is still going (or a `search --run-dir` into it) is refused instead
// of interleaving two writers in trials.jsonl and tree.ckpt. The lock is on the
// directory, not on a file in it: deleting RUN_DIR/run.lock (which looks like
// stale-lock cleanup) cannot free it. The kernel drops the lock when the process
// dies, SIGKILL included, so a crashed run never needs cleaning up before `resume`.
//
// RUN_DIR/run.lock holds the holder's pid, for messages and `mctsnas ls`; it is
// removed when the holder exits cleanly (a SIGKILLed run leaves it, harmlessly).
#include <filesystem>
#include <optional>

namespace mctsnas {

class RunLock {
 public:
  RunLock() = default;
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();   // removes run.lock, then releases the lock

  // Takes the lock of an existing directory; Error naming the holder's pid when
  // another process has it.
  static RunLock acquire(const std::filesystem::path& run_dir);

  // The pid of the live process holding the directory's lock, if any (0 when its
  // pid file is gone).
  static std::optional<long> holder(const std::filesystem::path& run_dir);

 private:
  RunLock(int dir_fd, std::filesystem::path pid_file) : fd_(dir_fd), pid_file_(std::move(pid_file)) {}
  void release();
  int fd_ = -1;
  std::filesystem::path pid_file_;
};

}  // namespace mctsnas
