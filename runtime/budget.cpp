#include "runtime/budget.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"

namespace mctsnas {

namespace fs = std::filesystem;

namespace {

bool write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  if (!out) return false;
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

int64_t status_field(int pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return -1;
  std::string line;
  size_t n = std::strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':')
      return std::atoll(line.c_str() + n + 1);
  return -1;
}

// A child cgroup of this process's (v2) cgroup with memory.max, this process moved
// into it. Works only where the cgroup is delegated to us (systemd-run --user
// --scope -p Delegate=yes, or a container that grants it); empty string if not.
fs::path own_cgroup_v2() {
  std::string cg = read_file_or_empty("/proc/self/cgroup");
  auto pos = cg.find("0::");
  if (pos == std::string::npos) return {};
  std::string rel = cg.substr(pos + 3);
  rel = rel.substr(0, rel.find('\n'));
  return fs::path("/sys/fs/cgroup") / fs::path(rel).relative_path();
}

std::string try_cgroup_v2(int64_t bytes, std::string& why) {
  if (!fs::exists("/sys/fs/cgroup/cgroup.controllers")) {
    why = "no cgroup v2 hierarchy";
    return {};
  }
  std::string cg = read_file_or_empty("/proc/self/cgroup");
  auto pos = cg.find("0::");
  if (pos == std::string::npos) {
    why = "no cgroup v2 entry in /proc/self/cgroup";
    return {};
  }
  std::string rel = cg.substr(pos + 3);
  rel = rel.substr(0, rel.find('\n'));
  fs::path parent = fs::path("/sys/fs/cgroup") / fs::path(rel).relative_path();
  if (read_file_or_empty(parent / "cgroup.subtree_control").find("memory") == std::string::npos) {
    why = "the memory controller is not enabled for children of " + parent.string();
    return {};
  }
  fs::path dir = parent / ("mctsnas-trial-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::create_directory(dir, ec);
  if (ec) {
    why = "cannot create " + dir.string() + ": " + ec.message();
    return {};
  }
  if (!write_file(dir / "memory.max", std::to_string(bytes)) ||
      !write_file(dir / "memory.swap.max", "0") ||
      !write_file(dir / "cgroup.procs", std::to_string(::getpid()))) {
    why = "cannot configure " + dir.string();
    fs::remove(dir, ec);
    return {};
  }
  return dir.string();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> thread_env(int cpu_threads) {
  std::string n = std::to_string(cpu_threads < 1 ? 1 : cpu_threads);
  return {{"OMP_NUM_THREADS", n}, {"MKL_NUM_THREADS", n}, {"OPENBLAS_NUM_THREADS", n}};
}

bool set_process_affinity(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus)
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
  // sched_setaffinity(pid 0) pins only the calling thread; pin every existing
  // thread (a library may have started some at load), later ones inherit.
  bool ok = true;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/self/task", ec)) {
    pid_t tid = static_cast<pid_t>(std::atoi(e.path().filename().c_str()));
    if (sched_setaffinity(tid, sizeof(set), &set) != 0 && errno != ESRCH) ok = false;
  }
  if (ec) ok = sched_setaffinity(0, sizeof(set), &set) == 0;
  return ok;
}

std::string worker_cgroup_dir(int pid) {
  // Workers start in the parent's cgroup and create their own below it.
  if (!fs::exists("/sys/fs/cgroup/cgroup.controllers")) return {};
  fs::path own = own_cgroup_v2();
  if (own.empty()) return {};
  return (own / ("mctsnas-trial-" + std::to_string(pid))).string();
}

bool cgroup_oom_killed(const std::string& dir) {
  std::istringstream in(read_file_or_empty(fs::path(dir) / "memory.events"));
  std::string key;
  int64_t n = 0;
  while (in >> key >> n)
    if (key == "oom_kill" && n > 0) return true;
  return false;
}

void remove_cgroup(const std::string& dir) {
  if (!dir.empty()) ::rmdir(dir.c_str());
}

int64_t process_rss_bytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  int64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return -1;
  return resident * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
}

int process_threads(int pid) { return static_cast<int>(status_field(pid, "Threads")); }

int64_t system_oom_kills() {
  std::istringstream in(read_file_or_empty("/proc/vmstat"));
  std::string key;
  int64_t value = 0;
  while (in >> key >> value)
    if (key == "oom_kill") return value;
  return -1;
}

AppliedBudget apply_budget(const TrialBudget& budget) {
  AppliedBudget applied;
  if (!budget.cpu_set.empty()) {
    applied.cpu_set = set_process_affinity(budget.cpu_set);
    if (!applied.cpu_set)
      applied.notes.push_back(std::string("sched_setaffinity failed: ") + std::strerror(errno));
  }
  for (const auto& [k, v] : thread_env(budget.cpu_threads)) ::setenv(k.c_str(), v.c_str(), 1);

  if (budget.host_mem_bytes > 0) {
    std::string why;
    std::string cg = try_cgroup_v2(budget.host_mem_bytes, why);
    if (!cg.empty()) {
      applied.host_memory = "cgroup";
      applied.cgroup = cg;
    } else if (!budget.gpu) {
      // Address space, not resident memory: the cap counts growth beyond what the
      // worker has mapped now (code, libraries), plus slack for untouched reservations.
      int64_t vm_kb = status_field(::getpid(), "VmSize");
      int64_t limit = (vm_kb > 0 ? vm_kb * 1024 : 0) + budget.host_mem_bytes + kAddressSpaceSlack;
      struct rlimit rl {static_cast<rlim_t>(limit), static_cast<rlim_t>(limit)};
      if (setrlimit(RLIMIT_AS, &rl) == 0) {
        applied.host_memory = "rlimit_as";
        applied.rlimit_as_bytes = limit;
      } else {
        applied.host_memory = "watchdog";
        applied.notes.push_back(std::string("setrlimit(RLIMIT_AS) failed: ") + std::strerror(errno));
      }
      applied.notes.push_back("cgroup v2 not usable (" + why + ")");
    } else {
      applied.host_memory = "watchdog";
      applied.notes.push_back("cgroup v2 not usable (" + why + "); GPU trial: RSS watchdog only");
    }
  }
  return applied;
}

}  // namespace mctsnas
