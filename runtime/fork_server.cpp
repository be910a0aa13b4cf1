#include "runtime/fork_server.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime/budget.h"
#include "runtime/child_env.h"
#include "runtime/process_pool.h"   // describe_signal

namespace mctsnas {

namespace {

constexpr size_t kMaxMessage = size_t{1} << 20;

bool send_json(int fd, const nlohmann::json& j) {
  const std::string s = j.dump();
  while (true) {
    if (::send(fd, s.data(), s.size(), MSG_NOSIGNAL) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

// One message and up to two descriptors passed with it (closed-on-exec).
ssize_t recv_with_fds(int fd, std::string& msg, std::vector<int>& fds) {
  msg.resize(kMaxMessage);
  iovec iov{msg.data(), msg.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))];
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  fds.clear();
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k; ++i) {
        int f;
        std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
        fds.push_back(f);
      }
    }
  msg.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return n;
}

void close_all(std::vector<int>& fds) {
  for (int f : fds) ::close(f);
  fds.clear();
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
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  // No static destructors: they belong to the server's libraries (thread pools,
  // LibTorch registries) and have nothing of this trial's to flush.
  ::_exit(code);
}

}  // namespace

int run_fork_server(int ctl, pid_t parent_pid, const EvaluatorFactory& make) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent_pid > 0 && ::getppid() != parent_pid) return 1;   // the pool died before prctl
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  int sfd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    send_json(ctl, {{"error", std::string("signalfd: ") + std::strerror(errno)}});
    return 2;
  }

  std::unique_ptr<Evaluator> evaluator;
  try {
    evaluator = make();
  } catch (const std::exception& e) {
    send_json(ctl, {{"error", e.what()}});
    return 2;
  }
  // fork() copies only the calling thread: a thread pool started by now (OpenMP, a
  // BLAS, LibTorch's) would be a set of dead threads, possibly holding locks, in
  // every child. The pool starts the server with one-thread settings, so this holds.
  int threads = process_threads(::getpid());
  if (threads != 1) {
    send_json(ctl, {{"error", "the fork server has " + std::to_string(threads) +
                                  " threads after loading the evaluator; forking it is unsafe"}});
    return 2;
  }
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);   // nothing buffered may be copied into (and written by) every child
  const pid_t self = ::getpid();
  if (!send_json(ctl, {{"ready", self}})) return 1;

  std::set<pid_t> children;
  std::string msg;
  std::vector<int> fds;
  while (true) {
    pollfd p[2] = {{ctl, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) {
      signalfd_siginfo si;
      while (::read(sfd, &si, sizeof si) > 0) {
      }
      int st = 0;
      pid_t c;
      while ((c = ::waitpid(-1, &st, WNOHANG)) > 0) {
        children.erase(c);
        send_json(ctl, {{"exited", c}, {"status", st}});
      }
    }
    if (!p[0].revents) continue;
    ssize_t n = recv_with_fds(ctl, msg, fds);
    if (n <= 0) {
      close_all(fds);
      break;   // the pool closed the socket (or died): done
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
      send_json(ctl, {{"failed", id}, {"error", e.what()}});
      continue;
    }
    pid_t c = ::fork();
    if (c == 0) run_child(self, ctl, sfd, req, fds[0], fds[1], evaluator);
    int fork_errno = errno;
    close_all(fds);
    if (c < 0) {
      send_json(ctl, {{"failed", id}, {"error", std::string("fork: ") + std::strerror(fork_errno)}});
      continue;
    }
    ::setpgid(c, c);   // also done by the child: whichever runs first, the group exists before the pool kills it
    children.insert(c);
    send_json(ctl, {{"started", id}, {"pid", c}});
  }
  for (pid_t c : children) {
    ::kill(-c, SIGKILL);
    ::kill(c, SIGKILL);
  }
  for (pid_t c : children) ::waitpid(c, nullptr, 0);
  return 0;
}

// ---- pool side ----

std::unique_ptr<ForkServer> ForkServer::start(const std::filesystem::path& executable,
                                              const std::vector<std::string>& args,
                                              const std::filesystem::path& log, double ready_timeout,
                                              std::string& why) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    why = std::string("socketpair: ") + std::strerror(errno);
    return nullptr;
  }
  std::vector<std::string> argv_s;
  argv_s.push_back(executable.string());
  for (const auto& a : args) argv_s.push_back(a);
  for (const char* a : {"--fork-server", "--control-fd", "3", "--parent-pid"}) argv_s.push_back(a);
  argv_s.push_back(std::to_string(::getpid()));
  auto argv = c_pointers(argv_s);

  // One thread everywhere in the server: OpenMP and the BLAS read these when they
  // load, and a pool they started would not survive fork. Each child then sets its
  // trial's counts (apply_budget; the evaluator sets LibTorch's intra-op threads).
  auto env = environment_with(thread_env(1));
  auto envp = c_pointers(env);

  const std::string log_path = log.empty() ? std::string("/dev/null") : log.string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
  posix_spawnattr_t attr;
  init_child_spawnattr(attr, {SIGINT, SIGTERM, SIGPIPE, SIGCHLD});
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv_s[0].c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    why = "cannot start the fork server (" + argv_s[0] + "): " + std::strerror(rc);
    return nullptr;
  }
  std::unique_ptr<ForkServer> s(new ForkServer);
  s->pid_ = pid;
  s->fd_ = sv[0];
  ::fcntl(s->fd_, F_SETFL, ::fcntl(s->fd_, F_GETFL) | O_NONBLOCK);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(ready_timeout);
  std::string m;
  while (true) {
    int left = static_cast<int>(
        std::chrono::duration<double, std::milli>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      why = "the fork server was not ready within " + std::to_string(static_cast<int>(ready_timeout)) + " s";
      return nullptr;
    }
    if (s->read_message(m, left)) break;
    if (!s->alive()) {
      why = s->lost_reason_ + (log.empty() ? "" : " (its output: " + log.string() + ")");
      return nullptr;
    }
  }
  try {
    auto j = nlohmann::json::parse(m);
    if (j.contains("ready")) return s;
    why = "the fork server could not start: " + j.value("error", m);
  } catch (const std::exception& e) {
    why = std::string("the fork server's first message is malformed: ") + e.what();
  }
  return nullptr;
}

ForkServer::~ForkServer() {
  if (fd_ >= 0) ::close(fd_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void ForkServer::mark_lost(std::string why) {
  if (lost_) return;
  lost_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (pid_ > 0) {
    // Killed to be sure (a server that stopped answering may still run); its
    // children get SIGKILL from the kernel (PR_SET_PDEATHSIG).
    ::kill(pid_, SIGKILL);
    int st = 0;
    if (::waitpid(pid_, &st, 0) == pid_) {
      if (WIFSIGNALED(st))
        why += " (it died of " + describe_signal(WTERMSIG(st)) + ")";
      else if (WIFEXITED(st))
        why += " (it exited with code " + std::to_string(WEXITSTATUS(st)) + ")";
    }
    pid_ = -1;
  }
  lost_reason_ = "the fork server " + why;
}

bool ForkServer::read_message(std::string& msg, int timeout_ms) {
  if (!alive()) return false;
  if (timeout_ms > 0) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r == 0 || (r < 0 && errno == EINTR)) return false;
  }
  msg.resize(kMaxMessage);
  ssize_t n = ::recv(fd_, msg.data(), msg.size(), MSG_DONTWAIT);
  if (n > 0) {
    msg.resize(static_cast<size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  mark_lost(n == 0 ? "closed its control socket" : std::string("control socket: ") + std::strerror(errno));
  return false;
}

pid_t ForkServer::run(const WorkerRequest& request, int result_fd, int output_fd, std::string& why) {
  if (!alive()) {
    why = lost_reason_;
    return -1;
  }
  const std::string body = nlohmann::json{{"run", to_json(request)}}.dump();
  iovec iov{const_cast<char*>(body.data()), body.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(2 * sizeof(int));
  int fds[2] = {result_fd, output_fd};
  std::memcpy(CMSG_DATA(c), fds, sizeof fds);
  ssize_t n;
  do {
    n = ::sendmsg(fd_, &mh, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    mark_lost(std::string("cannot be sent a request: ") + std::strerror(errno));
    why = lost_reason_;
    return -1;
  }
  // The answer comes at once (a fork); a server that takes this long is stuck.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string m;
  while (alive()) {
    int left = static_cast<int>(
        std::chrono::duration<double, std::milli>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      mark_lost("did not answer a trial request within 30 s");
      break;
    }
    if (!read_message(m, left)) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(m);
    } catch (const std::exception& e) {
      mark_lost(std::string("sent a malformed message: ") + e.what());
      break;
    }
    if (j.contains("exited")) {
      exits_.push_back({j["exited"].get<pid_t>(), j.value("status", 0)});
    } else if (j.contains("started") && j["started"].get<uint64_t>() == request.id) {
      return j.at("pid").get<pid_t>();
    } else if (j.contains("failed")) {
      why = "the fork server could not start trial " + std::to_string(request.id) + ": " + j.value("error", "");
      return -1;
    }
  }
  why = lost_reason_;
  return -1;
}

std::vector<ForkServer::ChildExit> ForkServer::take_exits() {
  std::string m;
  while (read_message(m, 0)) {
    try {
      auto j = nlohmann::json::parse(m);
      if (j.contains("exited")) exits_.push_back({j["exited"].get<pid_t>(), j.value("status", 0)});
    } catch (const std::exception& e) {
      mark_lost(std::string("sent a malformed message: ") + e.what());
    }
  }
  std::vector<ChildExit> out;
  out.swap(exits_);
  return out;
}

void ForkServer::pump(double seconds) {
  std::string m;
  if (read_message(m, std::max(1, static_cast<int>(seconds * 1000)))) {
    try {
      auto j = nlohmann::json::parse(m);
      if (j.contains("exited")) exits_.push_back({j["exited"].get<pid_t>(), j.value("status", 0)});
    } catch (const std::exception& e) {
      mark_lost(std::string("sent a malformed message: ") + e.what());
    }
  }
}

bool exec_workers_requested() {
  const char* v = std::getenv("MCTSNAS_TRIAL_LAUNCH");
  if (!v || !*v || std::strcmp(v, "fork") == 0) return false;
  if (std::strcmp(v, "exec") == 0) return true;
  throw Error(std::string("environment variable MCTSNAS_TRIAL_LAUNCH='") + v +
              "': expected 'fork' (a fork server starts each trial; the default) or 'exec' "
              "(each trial re-executes mctsnas)");
}

}  // namespace mctsnas
