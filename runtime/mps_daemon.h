#pragma once
// A private NVIDIA MPS control daemon for one trial pool (resources.mps).
//
// Without MPS, processes that share a GPU are time-sliced: only one process's kernels
// run at a time, so packed small trials leave most of the GPU idle (runtime.md: 3.2-
// 3.6x from packing alone). Under MPS their kernels run concurrently.
//
// The daemon is `nvidia-cuda-mps-control -f` (foreground), a child of this process
// in its own process group (a terminal Ctrl-C must not end it before the trials'
// grace period), killed by the kernel if this process dies (PR_SET_PDEATHSIG, checked
// against the race). Its pipe directory is a private short directory
// (/tmp/mctsnas-mps-<pid>-XXXXXX/pipe: unix socket paths are limited to ~108 bytes, a
// run directory can be longer). start() exports CUDA_MPS_PIPE_DIRECTORY and
// CUDA_MPS_LOG_DIRECTORY into this process's environment, which the fork server and
// exec'd workers inherit, so it must run before the pool starts any of them. stop()
// (and the destructor) sends `quit` through the control binary, falls back to
// SIGTERM/SIGKILL, restores the two variables and removes the private directory.
// A run killed outright (SIGKILL) leaves its directory behind; the next start()
// under the same temp root removes those of dead owners.
//
// Trade-off (NVIDIA's MPS documentation): a fatal GPU fault in one MPS client can take
// down the other clients on that GPU. Host crashes, host OOM and the per-trial CUDA
// allocator caps are still per trial.
//
// No CUDA here: whether MPS works on a machine shows only when the first trial
// creates its CUDA context.
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "runtime/resource_options.h"

namespace mctsnas {

// What resources.mps decides for one pool (a pure function, for tests).
struct MpsInputs {
  MpsMode mode = MpsMode::automatic;  // resources.mps
  bool gpus = false;                  // trials run on GPUs in worker processes
  bool shares_gpu = false;            // the pool may put more than one trial on a GPU at once
  std::string control_binary;         // nvidia-cuda-mps-control found; empty: not found
  std::string user_pipe_dir;          // CUDA_MPS_PIPE_DIRECTORY already set by the user
};

struct MpsDecision {
  bool start = false;                 // start a private daemon
  bool required = false;              // resources.mps: on, so a failure to start is an error
  std::string reason;                 // why not started (or what is used instead)
};

// Throws Error naming resources.mps when mode is on and the binary is missing.
MpsDecision decide_mps(const MpsInputs& in);

// nvidia-cuda-mps-control on PATH, else in /usr/local/nvidia/bin or /usr/bin; "" if none.
std::string find_mps_control();

struct MpsDaemonOptions {
  std::filesystem::path control_binary;   // nvidia-cuda-mps-control (a fake in tests)
  std::filesystem::path log_dir;          // CUDA_MPS_LOG_DIRECTORY; empty: inside the private dir
  std::filesystem::path temp_root = "/tmp";
  double ready_timeout = 10;              // seconds for the daemon to create its control socket
  double stop_timeout = 5;                // seconds for `quit`, then SIGTERM, then SIGKILL
};

class MpsDaemon {
 public:
  // Starts the daemon and waits until its control socket exists (pipe_dir/control;
  // or anything in pipe_dir after 0.5 s).
  // nullptr with `why` when it cannot start or exits first; nothing is left behind.
  static std::unique_ptr<MpsDaemon> start(const MpsDaemonOptions& options, std::string& why);
  ~MpsDaemon();
  MpsDaemon(const MpsDaemon&) = delete;
  MpsDaemon& operator=(const MpsDaemon&) = delete;

  // Idempotent: quit, reap, restore the environment, remove the private directory.
  void stop();

  pid_t pid() const { return pid_; }
  const std::filesystem::path& private_dir() const { return dir_; }
  const std::filesystem::path& pipe_dir() const { return pipe_dir_; }
  const std::filesystem::path& log_dir() const { return log_dir_; }

 private:
  MpsDaemon() = default;
  bool exited(int timeout_ms);   // reaps the daemon; true once it is gone
  // The steps of start(); each false with `why`.
  bool make_dirs(std::string& why);    // the private directory (removed again on failure)
  bool spawn(std::string& why);        // fork + exec of `control -f`
  bool wait_ready(std::string& why);   // its control socket, or its early exit
  std::filesystem::path output_path() const { return log_dir_ / "control-daemon.out"; }

  MpsDaemonOptions options_;
  pid_t pid_ = -1;
  std::filesystem::path dir_, pipe_dir_, log_dir_;
  bool stopped_ = false;
  bool env_set_ = false;
  bool had_pipe_env_ = false, had_log_env_ = false;
  std::string old_pipe_env_, old_log_env_;
};

}  // namespace mctsnas
