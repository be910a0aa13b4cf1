#include "runtime/fork_server.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime/budget.h"
#include "runtime/control_socket.h"

namespace mctsnas {

namespace {

void flush_all() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
}

// The child: becomes what an exec'd worker is at the point where it has read its
// request (own process group, default signals, descriptors 0-2 wired), then runs
// the trial with the evaluator the server built.
[[noreturn]] void run_child(pid_t server, int control_fd, int signal_fd, const WorkerRequest& req, int result_fd,
                            int output_fd, std::unique_ptr<Evaluator>& evaluator) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != server) ::_exit(1);   // the server died before prctl took effect
  ::close(control_fd);
  ::close(signal_fd);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0 && null_fd != 0) {
    ::dup2(null_fd, 0);
    ::close(null_fd);
  }
  ::dup2(output_fd, 1);
  ::dup2(output_fd, 2);
  ::close(output_fd);
  for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD}) ::signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (req.budget.host_mem_bytes > 0) {
    // What MALLOC_ARENA_MAX=2 does for an exec'd worker (glibc read it at start-up).
    ::mallopt(M_ARENA_MAX, 2);
    ::setenv("MALLOC_ARENA_MAX", "2", 1);
  }
  install_trial_stop_handler();
  int code = run_trial_request(req, [&] { return std::move(evaluator); }, result_fd);
  flush_all();
  // No static destructors: they belong to the server's libraries (thread pools,
  // LibTorch registries) and have nothing of this trial's to flush.
  ::_exit(code);
}

class Server {
 public:
  explicit Server(int ctl) : ctl_(ctl) {}
  ~Server() {
    if (sfd_ >= 0) ::close(sfd_);
  }

  // Everything before `ready`; false (the pool told why) when the server cannot serve.
  bool prepare(const EvaluatorFactory& make);
  void serve();   // until the pool closes the socket, then kills the children left

 private:
  void reap();
  bool handle_request();   // false when the socket closed
  void fork_child(const WorkerRequest& req, std::vector<int>& fds);
  bool fail(const std::string& why) {   // tells the pool why the server cannot serve
    send_control(ctl_, nlohmann::json{{"error", why}});
    return false;
  }

  int ctl_;
  int sfd_ = -1;   // SIGCHLD as a descriptor
  pid_t self_ = ::getpid();
  std::unique_ptr<Evaluator> evaluator_;
  std::set<pid_t> children_;
};

bool Server::prepare(const EvaluatorFactory& make) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  sfd_ = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd_ < 0) return fail(std::string("signalfd: ") + std::strerror(errno));
  try {
    evaluator_ = make();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  // fork() copies only the calling thread: a thread pool started by now (OpenMP, a
  // BLAS, LibTorch's) would be a set of dead threads, possibly holding locks, in
  // every child. The pool starts the server with one-thread settings, so this holds.
  int threads = process_threads(::getpid());
  if (threads != 1)
    return fail("the fork server has " + std::to_string(threads) +
                " threads after loading the evaluator; forking it is unsafe");
  flush_all();   // nothing buffered may be copied into (and written by) every child
  return true;
}

void Server::serve() {
  while (true) {
    pollfd p[2] = {{ctl_, POLLIN, 0}, {sfd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) reap();
    if (p[0].revents && !handle_request()) break;
  }
  for (pid_t c : children_) {
    ::kill(-c, SIGKILL);
    ::kill(c, SIGKILL);
  }
  for (pid_t c : children_) ::waitpid(c, nullptr, 0);
}

void Server::reap() {
  signalfd_siginfo si;
  while (::read(sfd_, &si, sizeof si) > 0) {
  }
  int st = 0;
  pid_t c;
  while ((c = ::waitpid(-1, &st, WNOHANG)) > 0) {
    children_.erase(c);
    send_control(ctl_, nlohmann::json{{"exited", c}, {"status", st}});
  }
}

bool Server::handle_request() {
  std::string msg;
  std::vector<int> fds;
  if (recv_control(ctl_, msg, &fds) <= 0) {
    close_all(fds);
    return false;   // the pool closed the socket (or died): done
  }
  uint64_t id = 0;
  WorkerRequest req;
  try {
    auto j = nlohmann::json::parse(msg);
    req = worker_request_from_json(j.at("run"), "fork server request");
    id = req.id;
    if (fds.size() != 2) throw Error("fork server request: expected 2 descriptors, got " + std::to_string(fds.size()));
  } catch (const std::exception& e) {
    close_all(fds);
    send_control(ctl_, nlohmann::json{{"failed", id}, {"error", e.what()}});
    return true;
  }
  fork_child(req, fds);
  return true;
}

void Server::fork_child(const WorkerRequest& req, std::vector<int>& fds) {
  pid_t c = ::fork();
  if (c == 0) run_child(self_, ctl_, sfd_, req, fds[0], fds[1], evaluator_);
  int fork_errno = errno;
  close_all(fds);
  if (c < 0) {
    send_control(ctl_, nlohmann::json{{"failed", req.id}, {"error", std::string("fork: ") + std::strerror(fork_errno)}});
    return;
  }
  ::setpgid(c, c);   // also done by the child: whichever runs first, the group exists before the pool kills it
  children_.insert(c);
  send_control(ctl_, nlohmann::json{{"started", req.id}, {"pid", c}});
}

}  // namespace

int run_fork_server(int ctl, pid_t parent_pid, const EvaluatorFactory& make) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent_pid > 0 && ::getppid() != parent_pid) return 1;   // the pool died before prctl
  ::signal(SIGPIPE, SIG_IGN);
  Server server(ctl);
  if (!server.prepare(make)) return 2;
  if (!send_control(ctl, nlohmann::json{{"ready", ::getpid()}})) return 1;
  server.serve();
  return 0;
}

}  // namespace mctsnas
