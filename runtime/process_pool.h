#pragma once
// Runs each trial in its own worker process. By default the worker is forked by a
// fork server (runtime/fork_server.h, runtime/fork_server_client.h): this binary started once per pool as
// `mctsnas trial --config RESOLVED.yaml --fork-server` (ProcessPoolOptions::worker_args),
// which has loaded LibTorch, the config, the space and the task data, so a trial
// does not pay for that again. Otherwise (ProcessPoolOptions::fork_server false,
// MCTSNAS_TRIAL_LAUNCH=exec, or a server that cannot start or keeps dying) each
// worker is the binary re-executed, the request as one JSON line on its stdin. Either
// way the result comes back as one JSON line on its own pipe (runtime/trial_worker.h),
// and a crash, an abort or an out-of-memory kill takes down only that worker; the
// parent records it with its status and goes on. A trial running when the fork
// server dies is recorded as crashed (unless its result was already written) and a
// new server is started for the next trials.
//
// Enforcement split: the worker applies its CPU set, thread counts and address-space
// or cgroup memory cap to itself (runtime/budget.h); this parent enforces wall time
// (SIGKILL -> timeout) and watches each worker's resident memory (SIGKILL ->
// oom_host), since a cap the worker sets on itself cannot cover everything (CUDA
// trials get no RLIMIT_AS). Workers run in their own process group, so a terminal
// Ctrl-C reaches only the parent, which decides when they die (stop()).
//
// Not thread-safe: one thread (the run loop) calls submit/wait/stop.
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "runtime/budgeter.h"
#include "runtime/fork_server_client.h"
#include "runtime/mps_daemon.h"
#include "runtime/trial_pool.h"

namespace mctsnas {

struct ProcessPoolOptions {
  std::filesystem::path executable;        // empty: this process's binary (/proc/self/exe)
  std::vector<std::string> worker_args;    // e.g. {"trial", "--config", "<run>/config.resolved.yaml"}
  std::filesystem::path log_dir;           // worker output as trial-<id>.log; empty: not kept
  double watchdog_interval = 0.05;         // seconds between wall-time / memory checks
  bool fork_server = true;                 // false: every worker is exec'd
  int max_server_restarts = 3;             // then exec'd workers for the rest of the pool
  double server_ready_timeout = 120;       // seconds to load LibTorch, config and task data
};

class ProcessPool final : public TrialPool {
 public:
  // `mps`, when given, is a daemon already started (its variables in the environment
  // before the fork server or any worker starts); the pool stops it last, once its
  // workers and server are gone.
  ProcessPool(ProcessPoolOptions options, Budgeter budgeter, std::unique_ptr<MpsDaemon> mps = nullptr);
  ~ProcessPool() override;   // kills workers still running, then stops the MPS daemon

  int capacity() const override { return budgeter_.capacity(); }
  // Submitted and not yet handed back by wait() (finished ones included).
  int in_flight() const override {
    return static_cast<int>(workers_.size() + queued_.size() + done_.size());
  }
  void submit(TrialRequest request) override;
  std::vector<TrialOutcome> wait(double timeout_seconds) override;
  // Starts no more trials; those running may finish within grace_seconds (wait()
  // returns them), then wait() kills the rest, which are not returned. Never blocks.
  void stop(double grace_seconds) override;

  const Budgeter& budgeter() const { return budgeter_; }
  // Process ids of running workers (tests and the progress line).
  std::vector<int> worker_pids() const;
  // The fork server's pid, -1 when workers are exec'd (tests).
  int server_pid() const;
  // Whether trials are started by the fork server (false after falling back).
  bool using_fork_server() const { return options_.fork_server && !exec_fallback_; }
  const MpsDaemon* mps() const { return mps_.get(); }

 private:
  struct Worker {
    TrialRequest request;
    Slot slot;
    int pid = -1;
    int result_fd = -1;
    int output_fd = -1;
    int log_fd = -1;
    int pid_fd = -1;             // pidfd_open(pid); -1 where the kernel lacks it
    std::string result_buf;
    std::string output_tail;     // last few KiB of stdout+stderr, for crash messages
    double started_at = 0;
    std::chrono::steady_clock::time_point t0;
    bool exited = false;
    int wait_status = 0;
    bool killed = false;
    TrialStatus killed_for = TrialStatus::crashed;
    std::string kill_reason;
    int64_t peak_rss = 0;
    int64_t last_rss = -1;       // the watchdog's last sample (with a host memory cap)
    int64_t oom_kills_at_start = -1;   // system_oom_kills() when it started
    bool cgroup_oom = false;     // its cgroup v2 (if any) recorded an OOM kill
    bool forked = false;         // a child of the fork server (reaped there, not here)
    bool server_lost = false;    // the fork server died while this trial ran
    std::string server_lost_reason;
  };

  void start_queued();
  void start(TrialRequest request, Slot slot);
  // Starts the trial in a child of the fork server; false (nothing started) when the
  // server cannot be had, after which start() uses an exec'd worker.
  bool start_forked(Worker& w, int result_w, int output_w);
  int spawn_worker(const Worker& w, int result_w, int output_w);   // exec'd worker; its pid
  bool ensure_server();
  void apply_server_exits();
  void on_server_lost();
  // Reads pipes, reaps, enforces caps for up to `seconds`; finished trials go to done_.
  void service(double seconds);
  void poll_events(double seconds);   // until a pipe, a pidfd or the server has news
  void reap(Worker& w);               // an exec'd worker that exited
  void enforce_caps(Worker& w, std::chrono::steady_clock::time_point now);
  void collect_finished();            // exited workers -> done_
  void drain(Worker& w);
  void kill_worker(Worker& w, TrialStatus why, std::string reason);
  TrialOutcome finish(Worker& w);
  void read_result_line(const Worker& w, TrialResult& r) const;
  void describe_death(const Worker& w, TrialResult& r) const;   // no result line: how it ended
  void describe_signal_death(const Worker& w, int sig, TrialResult& r) const;
  static std::string with_tail(const Worker& w, std::string msg);   // + its last line of output
  void close_fds(Worker& w);
  void kill_all();

  ProcessPoolOptions options_;
  std::unique_ptr<MpsDaemon> mps_;   // declared before server_: destroyed after it
  Budgeter budgeter_;
  std::deque<TrialRequest> queued_;
  std::vector<Worker> workers_;
  std::vector<TrialOutcome> done_;
  bool stopping_ = false;
  std::unique_ptr<ForkServerClient> server_;
  bool exec_fallback_ = false;
  int server_restarts_ = 0;
  std::chrono::steady_clock::time_point kill_deadline_;
};

}  // namespace mctsnas
