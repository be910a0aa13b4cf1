#include "runtime/mps_daemon.h"

#include <dirent.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "common/error.h"
#include "runtime/child_env.h"

namespace mctsnas {

namespace {

constexpr const char* kPipeVar = "CUDA_MPS_PIPE_DIRECTORY";
constexpr const char* kLogVar = "CUDA_MPS_LOG_DIRECTORY";
constexpr const char* kBinary = "nvidia-cuda-mps-control";

bool executable(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// Not std::filesystem::remove_all: in a binary linked against the PyTorch wheel's
// libtorch.so that symbol can bind to a copy inside libtorch that crashes.
void remove_tree(const std::filesystem::path& p) {
  ::nftw(
      p.c_str(), [](const char* f, const struct stat*, int, struct FTW*) { return ::remove(f), 0; }, 16,
      FTW_DEPTH | FTW_PHYS);
}

// Private directories whose owner died without stop() (SIGKILL, a crash): the
// daemon died with it (PR_SET_PDEATHSIG), its directory stayed. Named
// mctsnas-mps-<pid>-XXXXXX; removed when that pid is gone and the directory is
// ours. A pid reused since only delays the cleanup to a later start.
void remove_stale_private_dirs(const std::filesystem::path& root) {
  DIR* dir = ::opendir(root.c_str());
  if (!dir) return;
  const std::string prefix = "mctsnas-mps-";
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const size_t dash = name.find('-', prefix.size());
    if (dash == std::string::npos || dash == prefix.size()) continue;
    const std::string digits = name.substr(prefix.size(), dash - prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t owner = static_cast<pid_t>(std::stol(digits));
    if (owner == ::getpid() || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
    const std::filesystem::path p = root / name;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid()) continue;
    remove_tree(p);
  }
  ::closedir(dir);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

MpsDecision decide_mps(const MpsInputs& in) {
  MpsDecision d;
  d.required = in.mode == MpsMode::on;
  if (in.mode == MpsMode::off) {
    d.reason = "resources.mps is off";
  } else if (!in.gpus) {
    d.reason = "no trial runs on a GPU in a worker process";
  } else if (!in.user_pipe_dir.empty()) {
    d.reason = std::string(kPipeVar) + " is set (" + in.user_pipe_dir +
               "): trials use the MPS daemon you run there, if any";
  } else if (!in.shares_gpu) {
    d.reason = "no GPU is shared by trials at once (trials_per_gpu 1, or search.parallel / CPUs allow "
               "one trial per GPU)";
  } else if (in.control_binary.empty()) {
    if (d.required)
      throw Error("resources.mps: on, but nvidia-cuda-mps-control was not found (PATH, /usr/local/nvidia/bin, "
                  "/usr/bin); install the NVIDIA MPS tools or set resources.mps: auto or off");
    d.reason = "nvidia-cuda-mps-control not found (PATH, /usr/local/nvidia/bin, /usr/bin): trials on a "
               "GPU are time-sliced";
  } else {
    d.start = true;
  }
  return d;
}

std::string find_mps_control() {
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    size_t pos = 0;
    while (pos <= p.size()) {
      size_t colon = p.find(':', pos);
      std::string dir = p.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
      if (!dir.empty() && executable(dir + "/" + kBinary)) return dir + "/" + kBinary;
      if (colon == std::string::npos) break;
      pos = colon + 1;
    }
  }
  for (const char* dir : {"/usr/local/nvidia/bin", "/usr/bin"})
    if (executable(std::string(dir) + "/" + kBinary)) return std::string(dir) + "/" + kBinary;
  return {};
}

std::unique_ptr<MpsDaemon> MpsDaemon::start(const MpsDaemonOptions& options, std::string& why) {
  std::unique_ptr<MpsDaemon> d(new MpsDaemon());
  d->options_ = options;
  d->stopped_ = true;   // nothing to undo until the daemon runs
  remove_stale_private_dirs(options.temp_root);
  if (!d->make_dirs(why)) return nullptr;
  if (!d->spawn(why)) {
    remove_tree(d->dir_);
    return nullptr;
  }
  if (!d->wait_ready(why)) {
    d->stop();
    return nullptr;
  }
  if (const char* v = std::getenv(kPipeVar)) d->had_pipe_env_ = true, d->old_pipe_env_ = v;
  if (const char* v = std::getenv(kLogVar)) d->had_log_env_ = true, d->old_log_env_ = v;
  ::setenv(kPipeVar, d->pipe_dir_.c_str(), 1);
  ::setenv(kLogVar, d->log_dir_.c_str(), 1);
  d->env_set_ = true;
  return d;
}

bool MpsDaemon::make_dirs(std::string& why) {
  std::string tmpl = (options_.temp_root / ("mctsnas-mps-" + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) {
    why = "cannot create a directory for the MPS pipes under " + options_.temp_root.string() + ": " +
          std::strerror(errno);
    return false;
  }
  dir_ = tmpl;
  pipe_dir_ = dir_ / "pipe";
  log_dir_ = options_.log_dir.empty() ? dir_ / "log" : options_.log_dir;
  std::error_code ec;
  std::filesystem::create_directories(pipe_dir_, ec);
  if (!ec) std::filesystem::create_directories(log_dir_, ec);
  if (ec) {
    why = "cannot create the MPS pipe/log directories: " + ec.message();
    remove_tree(dir_);
    return false;
  }
  if ((pipe_dir_ / "control").string().size() >= 100) {   // sockaddr_un::sun_path is 108 bytes
    why = "the MPS pipe directory " + pipe_dir_.string() + " is too long for a unix socket";
    remove_tree(dir_);
    return false;
  }
  return true;
}

bool MpsDaemon::spawn(std::string& why) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args = {options_.control_binary.string(), "-f"};
  auto argv = c_pointers(args);
  auto env = environment_with({{kPipeVar, pipe_dir_.string()}, {kLogVar, log_dir_.string()}});
  auto envp = c_pointers(env);
  std::string out_path = output_path().string();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    why = std::string("cannot fork the MPS control daemon: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    ::setpgid(0, 0);   // own process group: a terminal Ctrl-C reaches only the search process
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);   // the parent died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP}) ::signal(s, SIG_DFL);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0644);
    if (out < 0) out = ::open("/dev/null", O_WRONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::close_range(3, ~0U, 0);   // no pipe or socket of the pool's may leak into it
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  pid_ = pid;
  stopped_ = false;
  return true;
}

bool MpsDaemon::wait_ready(std::string& why) {
  auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  while (true) {
    if (std::filesystem::exists(pipe_dir_ / "control", ec)) return true;
    // Should a driver version name its socket otherwise: anything in the directory,
    // given a moment to listen (a client that cannot connect runs without MPS).
    if (!std::filesystem::is_empty(pipe_dir_, ec) && !ec && seconds_since(t0) > 0.5) return true;
    if (exited(0)) {
      why = "the MPS control daemon (" + options_.control_binary.string() + " -f) exited at start; see " +
            output_path().string();
      return false;
    }
    if (seconds_since(t0) > options_.ready_timeout) {
      why = "the MPS control daemon did not create its control socket in " + pipe_dir_.string() + " within " +
            std::to_string(static_cast<int>(options_.ready_timeout)) + " s";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

MpsDaemon::~MpsDaemon() { stop(); }

bool MpsDaemon::exited(int timeout_ms) {
  if (pid_ <= 0) return true;
  auto t0 = std::chrono::steady_clock::now();
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return true;
    }
    if (seconds_since(t0) * 1000 >= timeout_ms) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void MpsDaemon::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (pid_ > 0 && !exited(0)) {
    // `quit` through the control binary, as NVIDIA documents: the daemon then stops
    // the MPS server it started. Its stdin is a pipe holding "quit\n".
    int in_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) == 0) {
      ssize_t ignored = ::write(in_pipe[1], "quit\n", 5);
      (void)ignored;
      ::close(in_pipe[1]);
      std::vector<std::string> args = {options_.control_binary.string()};
      auto argv = c_pointers(args);
      auto env = environment_with({{kPipeVar, pipe_dir_.string()}, {kLogVar, log_dir_.string()}});
      auto envp = c_pointers(env);
      pid_t q = ::fork();
      if (q == 0) {
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(in_pipe[0], 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::close_range(3, ~0U, 0);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
      }
      ::close(in_pipe[0]);
      if (q > 0) {
        auto t0 = std::chrono::steady_clock::now();
        while (::waitpid(q, nullptr, WNOHANG) == 0) {
          if (seconds_since(t0) > 2) {
            ::kill(q, SIGKILL);
            ::waitpid(q, nullptr, 0);
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    }
    if (!exited(static_cast<int>(options_.stop_timeout * 1000))) {
      ::kill(pid_, SIGTERM);
      if (!exited(1000)) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        exited(5000);
      }
    }
  }
  if (env_set_) {
    if (had_pipe_env_)
      ::setenv(kPipeVar, old_pipe_env_.c_str(), 1);
    else
      ::unsetenv(kPipeVar);
    if (had_log_env_)
      ::setenv(kLogVar, old_log_env_.c_str(), 1);
    else
      ::unsetenv(kLogVar);
  }
  if (!dir_.empty()) remove_tree(dir_);
}

}  // namespace mctsnas
