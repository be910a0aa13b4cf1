#include "runtime/fork_server_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime/budget.h"
#include "runtime/child_env.h"
#include "runtime/control_socket.h"
#include "runtime/exit_status.h"

namespace mctsnas {

namespace {

using Clock = std::chrono::steady_clock;

int ms_until(Clock::time_point deadline) {
  return static_cast<int>(std::chrono::duration<double, std::milli>(deadline - Clock::now()).count());
}

// posix_spawn of the server with `control` as its descriptor 3; its pid, or -1 with `why`.
pid_t spawn_server(const std::filesystem::path& executable, const std::vector<std::string>& args,
                   const std::filesystem::path& log, int control, std::string& why) {
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
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_adddup2(&fa, control, 3);
  posix_spawnattr_t attr;
  init_child_spawnattr(attr, {SIGINT, SIGTERM, SIGPIPE, SIGCHLD});
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv_s[0].c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc == 0) return pid;
  why = "cannot start the fork server (" + argv_s[0] + "): " + std::strerror(rc);
  return -1;
}

}  // namespace

std::unique_ptr<ForkServerClient> ForkServerClient::start(const std::filesystem::path& executable,
                                                          const std::vector<std::string>& args,
                                                          const std::filesystem::path& log, double ready_timeout,
                                                          std::string& why) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    why = std::string("socketpair: ") + std::strerror(errno);
    return nullptr;
  }
  pid_t pid = spawn_server(executable, args, log, sv[1], why);
  ::close(sv[1]);
  if (pid < 0) {
    ::close(sv[0]);
    return nullptr;
  }
  std::unique_ptr<ForkServerClient> s(new ForkServerClient);
  s->pid_ = pid;
  s->fd_ = sv[0];
  ::fcntl(s->fd_, F_SETFL, ::fcntl(s->fd_, F_GETFL) | O_NONBLOCK);
  if (!s->wait_ready(ready_timeout, log, why)) return nullptr;
  return s;
}

bool ForkServerClient::wait_ready(double ready_timeout, const std::filesystem::path& log, std::string& why) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(ready_timeout));
  std::string m;
  while (true) {
    int left = ms_until(deadline);
    if (left <= 0) {
      why = "the fork server was not ready within " + std::to_string(static_cast<int>(ready_timeout)) + " s";
      return false;
    }
    if (read_message(m, left)) break;
    if (!alive()) {
      why = lost_reason_ + (log.empty() ? "" : " (its output: " + log.string() + ")");
      return false;
    }
  }
  try {
    auto j = nlohmann::json::parse(m);
    if (j.contains("ready")) return true;
    why = "the fork server could not start: " + j.value("error", m);
  } catch (const std::exception& e) {
    why = std::string("the fork server's first message is malformed: ") + e.what();
  }
  return false;
}

ForkServerClient::~ForkServerClient() {
  if (fd_ >= 0) ::close(fd_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void ForkServerClient::mark_lost(std::string why) {
  if (lost_) return;
  lost_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (pid_ > 0) {
    // Killed to be sure (a server that stopped answering may still run); its
    // children get SIGKILL from the kernel (PR_SET_PDEATHSIG).
    ::kill(pid_, SIGKILL);
    int st = 0;
    if (::waitpid(pid_, &st, 0) == pid_) why += " (it " + describe_exit(st) + ")";
    pid_ = -1;
  }
  lost_reason_ = "the fork server " + why;
}

bool ForkServerClient::read_message(std::string& msg, int timeout_ms) {
  if (!alive()) return false;
  if (timeout_ms > 0) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r == 0 || (r < 0 && errno == EINTR)) return false;
  }
  ssize_t n = recv_control(fd_, msg, nullptr, MSG_DONTWAIT);
  if (n > 0) return true;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  mark_lost(n == 0 ? "closed its control socket" : std::string("control socket: ") + std::strerror(errno));
  return false;
}

bool ForkServerClient::parse_message(const std::string& msg, nlohmann::json& j) {
  try {
    j = nlohmann::json::parse(msg);
    if (j.contains("exited")) exits_.push_back({j["exited"].get<pid_t>(), j.value("status", 0)});
    return true;
  } catch (const std::exception& e) {
    mark_lost(std::string("sent a malformed message: ") + e.what());
    return false;
  }
}

pid_t ForkServerClient::run(const WorkerRequest& request, int result_fd, int output_fd, std::string& why) {
  if (!alive()) {
    why = lost_reason_;
    return -1;
  }
  if (!send_control(fd_, nlohmann::json{{"run", to_json(request)}}.dump(), {result_fd, output_fd})) {
    mark_lost(std::string("cannot be sent a request: ") + std::strerror(errno));
    why = lost_reason_;
    return -1;
  }
  // The answer comes at once (a fork); a server that takes this long is stuck.
  auto deadline = Clock::now() + std::chrono::seconds(30);
  std::string m;
  nlohmann::json j;
  while (alive()) {
    int left = ms_until(deadline);
    if (left <= 0) {
      mark_lost("did not answer a trial request within 30 s");
      break;
    }
    if (!read_message(m, left) || !parse_message(m, j)) continue;
    if (j.contains("started") && j["started"].get<uint64_t>() == request.id) return j.at("pid").get<pid_t>();
    if (j.contains("failed")) {
      why = "the fork server could not start trial " + std::to_string(request.id) + ": " + j.value("error", "");
      return -1;
    }
  }
  why = lost_reason_;
  return -1;
}

std::vector<ForkServerClient::ChildExit> ForkServerClient::take_exits() {
  std::string m;
  nlohmann::json j;
  while (read_message(m, 0)) parse_message(m, j);
  std::vector<ChildExit> out;
  out.swap(exits_);
  return out;
}

void ForkServerClient::pump(double seconds) {
  std::string m;
  nlohmann::json j;
  if (read_message(m, std::max(1, static_cast<int>(seconds * 1000)))) parse_message(m, j);
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
