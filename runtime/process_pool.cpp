#include "runtime/process_pool.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>

#include "common/error.h"
#include "evaluator/trial_json.h"
#include "runtime/budget.h"
#include "runtime/child_env.h"
#include "runtime/exit_status.h"
#include "runtime/inline_pool.h"   // run_clock_seconds(): one clock for every pool
#include "runtime/trial_worker.h"

namespace mctsnas {

namespace {

constexpr size_t kTailBytes = 4096;

// What a worker process is sent: the request, and the budget of the slot it got.
WorkerRequest worker_request(const TrialRequest& r, const TrialBudget& budget) {
  return {r.id, r.arch, budget, r.baseline, r.seed};
}
constexpr int kResultFd = 3;

std::string mib(int64_t b) { return std::to_string(b >> 20) + " MiB"; }

void set_nonblock_cloexec(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// Reads what is available; false at EOF or error.
bool read_some(int fd, std::string& into, size_t keep_tail = 0, int log_fd = -1) {
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      if (log_fd >= 0) {
        ssize_t ignored = ::write(log_fd, buf, static_cast<size_t>(n));
        (void)ignored;
      }
      if (keep_tail && into.size() > 2 * keep_tail) into.erase(0, into.size() - keep_tail);
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \r\n\t");
  if (end == std::string::npos) return {};
  size_t begin = text.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  std::string line = text.substr(begin, end - begin + 1);
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return line;
}

std::filesystem::path self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find this program's path (/proc/self/exe): " + ec.message());
  return p;
}

}  // namespace

ProcessPool::ProcessPool(ProcessPoolOptions options, Budgeter budgeter, std::unique_ptr<MpsDaemon> mps)
    : options_(std::move(options)), mps_(std::move(mps)), budgeter_(std::move(budgeter)) {
  if (options_.executable.empty()) options_.executable = self_exe();
  // A worker that dies before reading its request must not kill us with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
}

ProcessPool::~ProcessPool() {
  kill_all();
  server_.reset();
  mps_.reset();   // after its clients: quit stops the MPS server too
}

int ProcessPool::server_pid() const { return server_ && server_->alive() ? server_->pid() : -1; }

bool ProcessPool::ensure_server() {
  if (exec_fallback_ || !options_.fork_server) return false;
  if (server_ && server_->alive()) return true;
  if (server_) on_server_lost();
  std::string why;
  if (server_restarts_ > options_.max_server_restarts) {
    why = "the fork server died " + std::to_string(server_restarts_) + " times";
  } else {
    std::filesystem::path log;
    if (!options_.log_dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(options_.log_dir, ec);
      log = options_.log_dir / "fork-server.log";
    }
    server_ = ForkServerClient::start(options_.executable, options_.worker_args, log, options_.server_ready_timeout, why);
    if (server_) return true;
  }
  // Exec'd workers still isolate trials; they only start slower. A server that
  // cannot start (a broken config, missing task data) makes each exec'd worker
  // report the cause as its trial's error.
  exec_fallback_ = true;
  std::cerr << "mctsnas: " << why << "; trials run in exec'd workers from now on\n";
  return false;
}

void ProcessPool::apply_server_exits() {
  if (!server_) return;
  for (const auto& e : server_->take_exits())
    for (auto& w : workers_)
      if (w.forked && !w.exited && w.pid == e.pid) {
        w.exited = true;
        w.wait_status = e.status;
        drain(w);
      }
  if (!server_->alive()) on_server_lost();
}

void ProcessPool::on_server_lost() {
  if (!server_) return;
  std::string why = server_->lost_reason();
  for (const auto& e : server_->take_exits())   // reported before it died
    for (auto& w : workers_)
      if (w.forked && !w.exited && w.pid == e.pid) {
        w.exited = true;
        w.wait_status = e.status;
      }
  for (auto& w : workers_)
    if (w.forked && !w.exited) {
      // The kernel kills them too (PR_SET_PDEATHSIG); nobody is left to report how
      // they ended, so a trial without a result line is recorded as crashed.
      ::kill(-w.pid, SIGKILL);
      ::kill(w.pid, SIGKILL);
      w.exited = true;
      w.server_lost = true;
      w.server_lost_reason = why;
    }
  for (auto& w : workers_) drain(w);
  server_.reset();
  ++server_restarts_;
}

bool ProcessPool::start_forked(Worker& w, int result_w, int output_w) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!ensure_server()) return false;
    std::string why;
    pid_t pid = server_->run(worker_request(w.request, w.slot.budget), result_w, output_w, why);
    if (pid > 0) {
      w.pid = pid;
      w.forked = true;
      return true;
    }
    if (server_->alive()) {   // it refused this one (fork failed): an exec'd worker may still start
      std::cerr << "mctsnas: " << why << "; this trial runs in an exec'd worker\n";
      return false;
    }
    on_server_lost();   // then one more try with a new server
  }
  return false;
}

std::vector<int> ProcessPool::worker_pids() const {
  std::vector<int> out;
  for (const auto& w : workers_)
    if (!w.exited) out.push_back(w.pid);
  return out;
}

void ProcessPool::submit(TrialRequest request) {
  MCTSNAS_CHECK(!stopping_, "ProcessPool::submit after stop()");
  queued_.push_back(std::move(request));
  start_queued();
}

void ProcessPool::start_queued() {
  while (!stopping_ && !queued_.empty()) {
    auto slot = budgeter_.acquire();
    if (!slot) return;
    TrialRequest r = std::move(queued_.front());
    queued_.pop_front();
    start(std::move(r), *slot);
  }
}

void ProcessPool::start(TrialRequest request, Slot slot) {
  int res_pipe[2], out_pipe[2];
  if (::pipe2(res_pipe, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));

  Worker w;
  w.request = std::move(request);
  w.slot = slot;
  bool forked = false;
  try {
    forked = start_forked(w, res_pipe[1], out_pipe[1]);
    if (!forked) w.pid = spawn_worker(w, res_pipe[1], out_pipe[1]);
  } catch (...) {
    for (int fd : {res_pipe[0], res_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    budgeter_.release(slot);
    throw;
  }
  ::close(res_pipe[1]);
  ::close(out_pipe[1]);
  // A pidfd turns "the worker exited" into a poll() event (no reaping latency); a
  // forked worker's exit comes as a message on the fork server's socket instead.
  if (!forked) w.pid_fd = static_cast<int>(::syscall(SYS_pidfd_open, w.pid, 0));
  w.result_fd = res_pipe[0];
  w.output_fd = out_pipe[0];
  set_nonblock_cloexec(w.result_fd);
  set_nonblock_cloexec(w.output_fd);
  if (!options_.log_dir.empty()) {
    std::error_code ec;   // created with the first trial: the run directory may not exist before
    std::filesystem::create_directories(options_.log_dir, ec);
    auto log = options_.log_dir / ("trial-" + trial_name(w.request.id, w.request.baseline, w.request.seed) + ".log");
    w.log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  }
  w.started_at = run_clock_seconds();
  w.t0 = std::chrono::steady_clock::now();
  w.oom_kills_at_start = system_oom_kills();
  workers_.push_back(std::move(w));
}

int ProcessPool::spawn_worker(const Worker& w, int result_w, int output_w) {
  int in_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  // The request goes into the pipe before the worker exists: a small line fits the
  // pipe buffer, and a worker that dies at once cannot turn this write into EPIPE.
  std::string line = to_json(worker_request(w.request, w.slot.budget)).dump() + "\n";
  if (::write(in_pipe[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    throw Error("cannot write the trial request to the worker pipe");
  }
  ::close(in_pipe[1]);

  std::vector<std::string> args;
  args.push_back(options_.executable.string());
  for (const auto& a : options_.worker_args) args.push_back(a);
  args.push_back("--result-fd");
  args.push_back(std::to_string(kResultFd));
  auto argv = c_pointers(args);

  // Thread-count variables must be in the environment at exec: OpenMP reads them
  // when the library loads, before the worker's own code runs.
  auto overrides = thread_env(w.slot.budget.cpu_threads);
  if (w.slot.budget.host_mem_bytes > 0) overrides.push_back({"MALLOC_ARENA_MAX", "2"});
  auto env = environment_with(overrides);
  auto envp = c_pointers(env);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, output_w, 1);
  posix_spawn_file_actions_adddup2(&fa, output_w, 2);
  posix_spawn_file_actions_adddup2(&fa, result_w, kResultFd);
  posix_spawnattr_t attr;
  init_child_spawnattr(attr, {SIGINT, SIGTERM, SIGPIPE});  // own process group: see the header

  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0].c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in_pipe[0]);
  if (rc != 0) throw Error("cannot start a trial worker (" + args[0] + "): " + std::strerror(rc));
  return pid;
}

void ProcessPool::close_fds(Worker& w) {
  for (int* fd : {&w.result_fd, &w.output_fd, &w.log_fd, &w.pid_fd})
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
}

void ProcessPool::kill_worker(Worker& w, TrialStatus why, std::string reason) {
  if (w.killed || w.exited) return;
  w.killed = true;
  w.killed_for = why;
  w.kill_reason = std::move(reason);
  ::kill(-w.pid, SIGKILL);   // the group: anything the trial started dies with it
  ::kill(w.pid, SIGKILL);
}

void ProcessPool::drain(Worker& w) {
  if (w.result_fd >= 0 && !read_some(w.result_fd, w.result_buf)) {
    ::close(w.result_fd);
    w.result_fd = -1;
  }
  if (w.output_fd >= 0 && !read_some(w.output_fd, w.output_tail, kTailBytes, w.log_fd)) {
    ::close(w.output_fd);
    w.output_fd = -1;
  }
}

void ProcessPool::service(double seconds) {
  poll_events(seconds);
  apply_server_exits();
  auto now = std::chrono::steady_clock::now();
  for (auto& w : workers_) {
    drain(w);
    reap(w);
    if (!w.exited) enforce_caps(w, now);
  }
  collect_finished();
}

void ProcessPool::poll_events(double seconds) {
  std::vector<pollfd> fds;
  for (auto& w : workers_)
    for (int fd : {w.result_fd, w.output_fd, w.exited ? -1 : w.pid_fd})
      if (fd >= 0) fds.push_back({fd, POLLIN, 0});
  if (server_ && server_->alive()) fds.push_back({server_->control_fd(), POLLIN, 0});
  int ms = static_cast<int>(std::ceil(std::max(0.0, seconds) * 1000));
  if (fds.empty()) {
    if (ms > 0) ::poll(nullptr, 0, ms);   // wait for exits (reaped after)
  } else {
    ::poll(fds.data(), fds.size(), ms);   // EINTR (a stop signal) just ends the slice
  }
}

void ProcessPool::reap(Worker& w) {
  if (w.exited || w.forked) return;   // a forked worker is reaped by the fork server
  int status = 0;
  if (::waitpid(w.pid, &status, WNOHANG) == w.pid) {
    w.exited = true;
    w.wait_status = status;
    drain(w);
  }
}

void ProcessPool::enforce_caps(Worker& w, std::chrono::steady_clock::time_point now) {
  double elapsed = std::chrono::duration<double>(now - w.t0).count();
  const TrialBudget& b = w.slot.budget;
  if (b.wall_seconds > 0 && elapsed > b.wall_seconds) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "exceeded its wall time of %g s (killed after %.1f s)", b.wall_seconds, elapsed);
    kill_worker(w, TrialStatus::timeout, buf);
  } else if (b.host_mem_bytes > 0) {
    int64_t rss = process_rss_bytes(w.pid);
    if (rss >= 0) w.last_rss = rss;
    w.peak_rss = std::max(w.peak_rss, rss);
    if (rss > b.host_mem_bytes)
      kill_worker(w, TrialStatus::oom_host,
                  "resident memory " + mib(rss) + " exceeded the host memory cap of " + mib(b.host_mem_bytes));
  }
}

void ProcessPool::collect_finished() {
  // A worker is finished once reaped; a grandchild holding its pipes open must not
  // keep it in flight, so whatever was not read by now is dropped with the group.
  for (size_t i = 0; i < workers_.size();) {
    Worker& w = workers_[i];
    if (!w.exited) {
      ++i;
      continue;
    }
    ::kill(-w.pid, SIGKILL);
    std::string cg = worker_cgroup_dir(w.pid);
    if (!cg.empty() && std::filesystem::exists(cg)) {
      w.cgroup_oom = cgroup_oom_killed(cg);
      remove_cgroup(cg);
    }
    done_.push_back(finish(w));
    budgeter_.release(w.slot, &done_.back().result);
    close_fds(w);
    workers_.erase(workers_.begin() + static_cast<long>(i));
  }
}

TrialOutcome ProcessPool::finish(Worker& w) {
  TrialOutcome o;
  o.id = w.request.id;
  o.arch = w.request.arch;
  o.budget = w.slot.budget;
  o.device = w.slot.device;
  o.started_at = w.started_at;
  o.finished_at = run_clock_seconds();
  TrialResult& r = o.result;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - w.t0).count();
  r.score = std::nan("");
  if (w.killed) {
    r.status = w.killed_for;
    r.error = w.kill_reason;
  } else if (w.result_buf.find('\n') != std::string::npos) {
    read_result_line(w, r);   // a result line, when the worker wrote one, is the authority
  } else {
    describe_death(w, r);
  }
  return o;
}

void ProcessPool::read_result_line(const Worker& w, TrialResult& r) const {
  try {
    auto j = nlohmann::json::parse(w.result_buf.substr(0, w.result_buf.find('\n')));
    if (j.at("id").get<uint64_t>() != w.request.id) throw Error("result for another trial");
    double wall = r.seconds;
    r = trial_result_from_json(j.at("result"), "trial " + std::to_string(w.request.id) + " result");
    mark_non_finite_as_diverged(r);
    if (r.seconds <= 0) r.seconds = wall;
  } catch (const std::exception& e) {
    r.status = TrialStatus::crashed;
    r.error = with_tail(w, std::string("the worker's result line is malformed: ") + e.what());
  }
}

std::string ProcessPool::with_tail(const Worker& w, std::string msg) {
  std::string tail = last_line(w.output_tail);
  return tail.empty() ? msg : msg + "; last output: " + tail;
}

void ProcessPool::describe_death(const Worker& w, TrialResult& r) const {
  int st = w.wait_status;
  r.status = TrialStatus::crashed;
  if (w.server_lost) {
    r.error = with_tail(w, w.server_lost_reason + " while this trial ran");
    return;
  }
  if (WIFSIGNALED(st)) {
    describe_signal_death(w, WTERMSIG(st), r);
  } else if (WIFEXITED(st)) {
    r.error = with_tail(w, "the worker exited with code " + std::to_string(WEXITSTATUS(st)) + " without a result");
  }
}

// A signal we did not send: the kernel's OOM killer (a cgroup's, or the system's,
// as its own records show, or a SIGKILL right at the cap the watchdog samples),
// someone outside (kill, a job scheduler), or the trial's own fault.
void ProcessPool::describe_signal_death(const Worker& w, int sig, TrialResult& r) const {
  const int64_t cap = w.slot.budget.host_mem_bytes;
  if (sig == SIGKILL && w.cgroup_oom) {
    r.status = TrialStatus::oom_host;
    r.error = "the worker broke its host memory cap of " + mib(cap) + " (killed by the kernel in its cgroup)";
    return;
  }
  const int64_t oom_kills = system_oom_kills();
  if (sig == SIGKILL && w.oom_kills_at_start >= 0 && oom_kills > w.oom_kills_at_start) {
    r.status = TrialStatus::oom_host;
    r.error = with_tail(w, "the worker was killed by the kernel's out-of-memory killer (SIGKILL while the "
                           "system's OOM kill count rose from " + std::to_string(w.oom_kills_at_start) + " to " +
                           std::to_string(oom_kills) + ")");
  } else if (sig == SIGKILL && cap > 0 && w.last_rss >= cap - cap / 10) {
    r.status = TrialStatus::oom_host;
    r.error = with_tail(w, "the worker was killed by SIGKILL at " + mib(w.last_rss) +
                           " resident, at its host memory cap of " + mib(cap));
  } else if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
    r.status = TrialStatus::killed;
    r.error = with_tail(w, "the worker was killed by " + describe_signal(sig) +
                           " from outside mctsnas (not for memory: no OOM kill was recorded while it ran)");
  } else {
    r.error = with_tail(w, "the worker died of " + describe_signal(sig));
  }
}

std::vector<TrialOutcome> ProcessPool::wait(double timeout_seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::max(0.0, timeout_seconds));
  while (true) {
    start_queued();
    if (stopping_ && std::chrono::steady_clock::now() >= kill_deadline_) kill_all();
    if (!done_.empty() || workers_.empty()) break;
    double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    if (stopping_)
      left = std::min(left, std::chrono::duration<double>(kill_deadline_ - std::chrono::steady_clock::now()).count());
    service(std::clamp(left, 0.0, options_.watchdog_interval));
  }
  std::vector<TrialOutcome> out;
  out.swap(done_);
  start_queued();   // slots freed above go to queued trials at once
  return out;
}

void ProcessPool::stop(double grace_seconds) {
  // Does not block: running trials may still finish (and are returned by wait())
  // until the deadline; wait() kills what is left then. Killed trials are dropped.
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(std::max(0.0, grace_seconds)));
  if (!stopping_ || deadline < kill_deadline_) kill_deadline_ = deadline;
  stopping_ = true;
  queued_.clear();
  if (grace_seconds <= 0) kill_all();
}

void ProcessPool::kill_all() {
  std::vector<int> forked;
  for (auto& w : workers_) {
    if (!w.exited) {
      ::kill(-w.pid, SIGKILL);
      ::kill(w.pid, SIGKILL);
      if (w.forked)
        forked.push_back(w.pid);
      else
        ::waitpid(w.pid, nullptr, 0);
    }
    budgeter_.release(w.slot);
    close_fds(w);
  }
  workers_.clear();
  // The fork server reaps its children: wait for its word, so that none is left
  // behind as a zombie (bounded: SIGKILLed processes go at once).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!forked.empty() && server_ && server_->alive() && std::chrono::steady_clock::now() < deadline) {
    server_->pump(0.05);
    for (const auto& e : server_->take_exits()) forked.erase(std::remove(forked.begin(), forked.end(), e.pid), forked.end());
  }
}

}  // namespace mctsnas
