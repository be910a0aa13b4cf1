#pragma once
// The fork server ("zygote") that ProcessPool starts once and asks for each trial,
// so that a trial's process does not pay the binary's start (LibTorch's shared
// libraries and static initialisers, config, space, task data: ~0.5 s on 2 busy
// cores) again and again.
//
// The server is this binary re-executed as `mctsnas trial --config C --fork-server
// --control-fd 3 --parent-pid P`. It builds the evaluator once (task data loaded),
// checks that it is still single-threaded (fork copies only the calling thread, so
// a thread pool or a CUDA context in the server would be broken in every child),
// says `ready`, then for each request forks one child that runs the trial exactly as
// an exec'd worker does (run_trial_request: budget applied in the child, result line
// on its own pipe). Every trial is still its own process, in its own process group,
// so a crash, an abort or an OOM kill takes down that trial only.
//
// Control channel: a SOCK_SEQPACKET socket pair (one JSON object a message).
//   pool -> server  {"run": WorkerRequest} + SCM_RIGHTS [result write end, output write end]
//   server -> pool  {"ready": pid} | {"error": msg} once at start;
//                   {"started": id, "pid": P} | {"failed": id, "error": msg} per request;
//                   {"exited": P, "status": waitpid status} when a child is reaped.
// The pool keeps killing children itself (kill(-pid), SIGKILL) and reads their
// /proc entries; the server only reaps them and reports how they ended.
//
// Lifetimes: the server dies with the pool's process (PR_SET_PDEATHSIG, checked
// against the race by comparing getppid() with the pid it was given), children die
// with the server (same), and when the control socket closes the server kills its
// children and exits. If the server dies, the pool notices (EOF on the socket).
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "runtime/trial_worker.h"

namespace mctsnas {

// Server side (the `trial --fork-server` command). `make` builds the evaluator all
// trials share; it runs once, before `ready`. Returns the process exit code: 0 once
// the socket closes, 2 when the evaluator cannot be built or the server is not fit
// to fork (the pool then falls back to exec'd workers, which report the error per trial).
int run_fork_server(int control_fd, pid_t parent_pid, const EvaluatorFactory& make);

// Pool side.
class ForkServer {
 public:
  struct ChildExit {
    pid_t pid = -1;
    int status = 0;   // as from waitpid
  };

  // Starts `executable args... --fork-server --control-fd 3 --parent-pid <this pid>`
  // (its stdout/stderr to `log`, or /dev/null when empty) and waits up to
  // ready_timeout seconds for `ready`. nullptr, with `why`, if it does not come.
  static std::unique_ptr<ForkServer> start(const std::filesystem::path& executable,
                                           const std::vector<std::string>& args,
                                           const std::filesystem::path& log, double ready_timeout,
                                           std::string& why);
  ~ForkServer();   // kills the server (its children die with it) and reaps it
  ForkServer(const ForkServer&) = delete;
  ForkServer& operator=(const ForkServer&) = delete;

  pid_t pid() const { return pid_; }
  int control_fd() const { return fd_; }   // poll() it for POLLIN: exits to read
  bool alive() const { return fd_ >= 0 && !lost_; }
  const std::string& lost_reason() const { return lost_reason_; }

  // Forks a child for `request` whose result goes to result_fd and stdout/stderr to
  // output_fd (the caller keeps its own copies of both and closes them). Returns the
  // child's pid, or -1 with `why`: the server refused (alive() stays true) or is gone.
  pid_t run(const WorkerRequest& request, int result_fd, int output_fd, std::string& why);

  // Children reaped since the last call (never blocks). Sets alive() to false when
  // the server is gone.
  std::vector<ChildExit> take_exits();

  // Reads control messages for up to `seconds` (at least one poll).
  void pump(double seconds);

 private:
  ForkServer() = default;
  // Reads one message; false on EOF/error (marks lost) or, with timeout, when none came.
  bool read_message(std::string& msg, int timeout_ms);
  void mark_lost(std::string why);

  pid_t pid_ = -1;
  int fd_ = -1;
  bool lost_ = false;
  std::string lost_reason_;
  std::vector<ChildExit> exits_;
};

// Whether the environment asks for exec'd workers instead of the fork server
// (MCTSNAS_TRIAL_LAUNCH=exec; "fork" or unset: the fork server).
bool exec_workers_requested();

}  // namespace mctsnas
