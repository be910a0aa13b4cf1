// resources.mps (runtime/mps_daemon.h): the decision, and the private control
// daemon's lifecycle with a fake nvidia-cuda-mps-control (CI has no GPU and no MPS):
// started with its private pipe directory in its environment and ours, stopped by
// `quit` at pool shutdown with its directory removed, killed with its owner.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "runtime/budgeter.h"
#include "runtime/inventory.h"
#include "runtime/mps_daemon.h"
#include "runtime/process_pool.h"
#include "test_util.h"

using namespace mctsnas;
using mctsnas::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A stand-in for nvidia-cuda-mps-control. With -f (the daemon): records its
// environment and pid in `dir`, creates the control "socket", then runs until
// SIGTERM. Without (the client): reads one command; `quit` ends the daemon whose pid
// is in the pipe directory it is given, as the real client does.
fs::path fake_control(const TempDir& dir, const std::string& daemon_body = "") {
  std::string d = dir.path().string();
  std::string body = daemon_body.empty()
                         ? "  env > " + d + "/daemon.env\n"
                           "  echo $$ > \"$CUDA_MPS_PIPE_DIRECTORY/daemon.pid\"\n"
                           "  : > \"$CUDA_MPS_PIPE_DIRECTORY/control\"\n"
                           "  exec sleep 600\n"
                         : daemon_body;
  auto p = dir.write("bin/nvidia-cuda-mps-control",
                     "#!/bin/sh\n"
                     "if [ \"$1\" = -f ]; then\n" + body +
                         "fi\n"
                         "read cmd\n"
                         "echo \"$cmd $CUDA_MPS_PIPE_DIRECTORY\" >> " + d + "/client.log\n"
                         "[ \"$cmd\" = quit ] && kill $(cat \"$CUDA_MPS_PIPE_DIRECTORY/daemon.pid\")\n"
                         "exit 0\n");
  ::chmod(p.c_str(), 0755);
  return p;
}

bool gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::string stat = read("/proc/" + std::to_string(pid) + "/stat");   // a zombie no init reaped
  auto rp = stat.rfind(')');
  return rp != std::string::npos && rp + 2 < stat.size() && stat[rp + 2] == 'Z';
}

bool gone_within(pid_t pid, double seconds) {
  auto t0 = std::chrono::steady_clock::now();
  while (!gone(pid)) {
    if (std::chrono::steady_clock::now() - t0 > std::chrono::duration<double>(seconds)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool empty_dir(const fs::path& p) { return fs::is_empty(p); }

MpsDaemonOptions options_for(const fs::path& binary, const TempDir& tmp) {
  MpsDaemonOptions o;
  o.control_binary = binary;
  fs::create_directories(tmp / "tmp");
  o.temp_root = tmp / "tmp";
  return o;
}

}  // namespace

TEST_CASE("decide_mps: auto / on / off x sharing x binary x user's MPS", "[mps]") {
  MpsInputs in;
  in.gpus = true;
  in.shares_gpu = true;
  in.control_binary = "/usr/bin/nvidia-cuda-mps-control";
  for (MpsMode mode : {MpsMode::automatic, MpsMode::on}) {
    in.mode = mode;
    MpsDecision d = decide_mps(in);
    CHECK(d.start);
    CHECK(d.required == (mode == MpsMode::on));
  }
  in.mode = MpsMode::off;
  CHECK_FALSE(decide_mps(in).start);
  CHECK(decide_mps(in).reason == "resources.mps is off");

  for (MpsMode mode : {MpsMode::automatic, MpsMode::on}) {
    MpsInputs x = in;
    x.mode = mode;
    x.shares_gpu = false;   // one trial per GPU: nothing to share
    CHECK_FALSE(decide_mps(x).start);
    CHECK_THAT(decide_mps(x).reason, Catch::Contains("no GPU is shared"));
    x = in;
    x.mode = mode;
    x.gpus = false;         // CPU trials (or in-process ones)
    CHECK_FALSE(decide_mps(x).start);
    x = in;
    x.mode = mode;
    x.user_pipe_dir = "/tmp/mine";   // the user's MPS is respected, even with mps: on
    CHECK_FALSE(decide_mps(x).start);
    CHECK_THAT(decide_mps(x).reason, Catch::Contains("CUDA_MPS_PIPE_DIRECTORY is set (/tmp/mine)"));
  }

  in.control_binary.clear();
  in.mode = MpsMode::automatic;
  CHECK_FALSE(decide_mps(in).start);
  CHECK_THAT(decide_mps(in).reason, Catch::Contains("nvidia-cuda-mps-control not found"));
  in.mode = MpsMode::on;
  CHECK_THROWS_WITH(decide_mps(in), Catch::StartsWith("resources.mps: on, but nvidia-cuda-mps-control was not found"));
  in.mode = MpsMode::off;
  CHECK_NOTHROW(decide_mps(in));
}

TEST_CASE("Budgeter::may_share_gpu: what makes MPS worth starting", "[mps]") {
  Inventory inv;
  for (int c = 0; c < 8; ++c) inv.allowed_cpus.push_back(c);
  inv.cpu_order = inv.allowed_cpus;
  inv.pus = inv.cores = 8;
  inv.host_memory_bytes = inv.host_available_bytes = int64_t{64} << 30;
  GpuInfo g;
  g.memory_total_bytes = int64_t{80} << 30;
  inv.gpus = {g};
  auto with = [&](const std::string& tpg, int parallel, int64_t gpu_mem = 0, const std::string& dev = "auto") {
    BudgeterOptions o;
    o.resources.devices = dev;
    o.resources.trials_per_gpu = tpg;
    o.resources.per_trial.gpu_memory = gpu_mem;
    o.max_parallel = parallel;
    return Budgeter(inv, o).may_share_gpu();
  };
  CHECK(with("auto", 16));
  CHECK(with("4", 16));
  CHECK_FALSE(with("1", 16));
  CHECK_FALSE(with("auto", 1));                        // search.parallel 1
  CHECK_FALSE(with("auto", 16, int64_t{60} << 30));   // a cap that lets one trial fit
  CHECK(with("auto", 16, int64_t{8} << 30));
  CHECK_FALSE(with("auto", 16, 0, "cpu"));
}

TEST_CASE("MpsDaemon: private pipe directory, exported environment, quit and cleanup", "[mps]") {
  TempDir tmp("mps");
  auto opts = options_for(fake_control(tmp), tmp);
  opts.log_dir = tmp / "run" / "logs" / "mps";
  REQUIRE(std::getenv("CUDA_MPS_PIPE_DIRECTORY") == nullptr);
  std::string why;
  auto d = MpsDaemon::start(opts, why);
  REQUIRE(d);
  CHECK(why.empty());
  pid_t pid = d->pid();
  CHECK(pid > 0);
  CHECK(d->private_dir().parent_path() == opts.temp_root);
  CHECK_THAT(d->private_dir().filename().string(),
             Catch::StartsWith("mctsnas-mps-" + std::to_string(::getpid()) + "-"));
  CHECK(d->pipe_dir() == d->private_dir() / "pipe");
  CHECK(d->log_dir() == opts.log_dir);
  // The daemon's environment, and ours (inherited by the fork server and workers).
  std::string env = read(tmp / "daemon.env");
  CHECK_THAT(env, Catch::Contains("CUDA_MPS_PIPE_DIRECTORY=" + d->pipe_dir().string() + "\n"));
  CHECK_THAT(env, Catch::Contains("CUDA_MPS_LOG_DIRECTORY=" + opts.log_dir.string() + "\n"));
  REQUIRE(std::getenv("CUDA_MPS_PIPE_DIRECTORY") != nullptr);
  CHECK(std::string(std::getenv("CUDA_MPS_PIPE_DIRECTORY")) == d->pipe_dir().string());
  CHECK(std::string(std::getenv("CUDA_MPS_LOG_DIRECTORY")) == opts.log_dir.string());
  // Its own process group: a terminal Ctrl-C to the search does not reach it.
  CHECK(::getpgid(pid) == pid);

  fs::path pipe = d->pipe_dir();
  d->stop();
  CHECK(read(tmp / "client.log") == "quit " + pipe.string() + "\n");   // quit, through its own pipes
  CHECK(::kill(pid, 0) != 0);                                          // reaped
  CHECK(empty_dir(opts.temp_root));                                    // private directory removed
  CHECK(fs::exists(opts.log_dir));                                     // the run's logs stay
  CHECK(std::getenv("CUDA_MPS_PIPE_DIRECTORY") == nullptr);
  CHECK(std::getenv("CUDA_MPS_LOG_DIRECTORY") == nullptr);
  d->stop();   // idempotent
}

TEST_CASE("MpsDaemon: start removes private directories of runs that died without stopping", "[mps]") {
  TempDir tmp("mps");
  auto opts = options_for(fake_control(tmp), tmp);
  // A dead owner: a child that has exited and been reaped.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  REQUIRE(dead > 0);
  ::waitpid(dead, nullptr, 0);
  const fs::path stale = opts.temp_root / ("mctsnas-mps-" + std::to_string(dead) + "-AbC123");
  const fs::path live = opts.temp_root / ("mctsnas-mps-" + std::to_string(::getppid()) + "-XyZ789");
  const fs::path other = opts.temp_root / "mctsnas-mps-notapid-1";
  for (const auto& p : {stale, live, other}) fs::create_directories(p / "pipe");
  { std::ofstream(stale / "pipe" / "control") << "x"; }
  std::string why;
  auto d = MpsDaemon::start(opts, why);
  REQUIRE(d);
  CHECK_FALSE(fs::exists(stale));  // its owner is gone
  CHECK(fs::exists(live));         // its owner (our parent) runs
  CHECK(fs::exists(other));        // not one of ours by name
  d->stop();
}

TEST_CASE("MpsDaemon: a daemon that fails, hangs or ignores quit leaves nothing behind", "[mps]") {
  TempDir tmp("mps");
  std::string why;
  SECTION("exits at start") {
    auto opts = options_for(fake_control(tmp, "  echo no GPU >&2\n  exit 3\n"), tmp);
    CHECK_FALSE(MpsDaemon::start(opts, why));
    CHECK_THAT(why, Catch::Contains("exited at start"));
  }
  SECTION("never creates its socket") {
    auto opts = options_for(fake_control(tmp, "  echo $$ > " + (tmp / "pid").string() + "\n  exec sleep 600\n"), tmp);
    opts.ready_timeout = 0.3;
    CHECK_FALSE(MpsDaemon::start(opts, why));
    CHECK_THAT(why, Catch::Contains("did not create its control socket"));
    CHECK(gone_within(std::stoi(read(tmp / "pid")), 5));
  }
  SECTION("ignores quit: SIGTERM") {
    auto opts = options_for(fake_control(tmp, "  : > \"$CUDA_MPS_PIPE_DIRECTORY/control\"\n  exec sleep 600\n"), tmp);
    opts.stop_timeout = 0.2;
    auto d = MpsDaemon::start(opts, why);
    REQUIRE(d);
    pid_t pid = d->pid();
    d.reset();
    CHECK(::kill(pid, 0) != 0);
  }
  SECTION("not executable") {
    auto opts = options_for(tmp / "missing", tmp);
    CHECK_FALSE(MpsDaemon::start(opts, why));
  }
  CHECK(empty_dir(tmp / "tmp"));
  CHECK(std::getenv("CUDA_MPS_PIPE_DIRECTORY") == nullptr);
}

TEST_CASE("MpsDaemon: the pool stops it at shutdown", "[mps]") {
  TempDir tmp("mps");
  auto opts = options_for(fake_control(tmp), tmp);
  std::string why;
  auto d = MpsDaemon::start(opts, why);
  REQUIRE(d);
  pid_t pid = d->pid();
  {
    InventoryOptions io;
    io.probe_gpus = false;
    BudgeterOptions bo;
    bo.resources.devices = "cpu";
    ProcessPoolOptions po;
    po.executable = "/bin/true";
    po.fork_server = false;
    ProcessPool pool(po, Budgeter(probe_inventory(io), bo), std::move(d));
    REQUIRE(pool.mps() != nullptr);
    CHECK(pool.mps()->pid() == pid);
    CHECK(!gone(pid));
  }
  CHECK(::kill(pid, 0) != 0);
  CHECK_THAT(read(tmp / "client.log"), Catch::StartsWith("quit "));
  CHECK(empty_dir(tmp / "tmp"));
  CHECK(std::getenv("CUDA_MPS_PIPE_DIRECTORY") == nullptr);
}

TEST_CASE("MpsDaemon: dies with its owner (PR_SET_PDEATHSIG)", "[mps]") {
  TempDir tmp("mps");
  auto opts = options_for(fake_control(tmp), tmp);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t owner = ::fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    ::close(fds[0]);
    std::string why;
    auto d = MpsDaemon::start(opts, why);
    int pid = d ? d->pid() : -1;
    ssize_t n = ::write(fds[1], &pid, sizeof pid);
    (void)n;
    while (true) ::pause();
  }
  ::close(fds[1]);
  int pid = -1;
  REQUIRE(::read(fds[0], &pid, sizeof pid) == sizeof pid);
  ::close(fds[0]);
  REQUIRE(pid > 0);
  CHECK(!gone(pid));
  ::kill(owner, SIGKILL);
  ::waitpid(owner, nullptr, 0);
  CHECK(gone_within(pid, 5));
  // The owner had no chance to clean up: its private directory is left (in /tmp).
  for (const auto& e : fs::directory_iterator(tmp / "tmp")) mctsnas::test::remove_tree(e.path());
}
