#pragma once
// The pool's handle on its fork server (runtime/fork_server.h has the server side
// and the protocol): starts the server, asks it for one child per trial, and
// collects how its children ended.
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "runtime/trial_worker.h"

namespace mctsnas {

class ForkServerClient {
 public:
  struct ChildExit {
    pid_t pid = -1;
    int status = 0;   // as from waitpid
  };

  // Starts `executable args... --fork-server --control-fd 3 --parent-pid <this pid>`
  // (its stdout/stderr to `log`, or /dev/null when empty) and waits up to
  // ready_timeout seconds for `ready`. nullptr, with `why`, if it does not come.
  static std::unique_ptr<ForkServerClient> start(const std::filesystem::path& executable,
                                                 const std::vector<std::string>& args,
                                                 const std::filesystem::path& log, double ready_timeout,
                                                 std::string& why);
  ~ForkServerClient();   // kills the server (its children die with it) and reaps it
  ForkServerClient(const ForkServerClient&) = delete;
  ForkServerClient& operator=(const ForkServerClient&) = delete;

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
  ForkServerClient() = default;
  // Reads one message; false on EOF/error (marks lost) or, with timeout, when none came.
  bool read_message(std::string& msg, int timeout_ms);
  // Parses a message and keeps an `exited` report; false (marks lost) when malformed.
  bool parse_message(const std::string& msg, nlohmann::json& j);
  bool wait_ready(double ready_timeout, const std::filesystem::path& log, std::string& why);
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
