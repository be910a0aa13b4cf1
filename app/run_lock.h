#pragma once
// One live process per run directory. `search` and `resume` hold an exclusive
// flock on RUN_DIR/run.lock for as long as they run, so a second `resume` of a
// run that is still going (or a `search --run-dir` into it) is refused instead of
// interleaving two writers in trials.jsonl and tree.ckpt. The kernel drops the
// lock when the process dies, SIGKILL included, so a crashed run never needs
// cleaning up before `resume`. The file holds the holder's pid, for messages
// and `mctsnas ls`.
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
  ~RunLock();

  // Takes the lock of an existing directory; Error naming the holder's pid when
  // another process has it.
  static RunLock acquire(const std::filesystem::path& run_dir);

  // The pid of the live process holding the directory's lock, if any.
  static std::optional<long> holder(const std::filesystem::path& run_dir);

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace mctsnas
