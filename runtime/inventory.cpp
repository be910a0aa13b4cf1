#include "runtime/inventory.h"

#ifdef MCTSNAS_HAVE_HWLOC
#include <hwloc.h>
#endif
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "common/atomic_file.h"
#include "common/strings.h"
#include "runtime/mps_daemon.h"

namespace mctsnas {

namespace fs = std::filesystem;

namespace {

// Runs a command through the shell and returns its stdout; nullopt when it could
// not run or exited non-zero.
std::optional<std::string> run_command(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int rc = ::pclose(p);
  if (rc != 0) return std::nullopt;
  return out;
}

int64_t meminfo_bytes(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream f(line.substr(key.size() + 1));
      int64_t kb = 0;
      f >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

// Orders CPUs one PU per core first: trials pinned to distinct cores do not share an ALU.
void order_cpus(Inventory& inv, const std::vector<std::vector<int>>& core_pus) {
  inv.cores = static_cast<int>(core_pus.size());
  inv.pus = static_cast<int>(inv.allowed_cpus.size());
  for (size_t level = 0;; ++level) {
    bool any = false;
    for (const auto& pus : core_pus)
      if (level < pus.size()) {
        inv.cpu_order.push_back(pus[level]);
        any = true;
      }
    if (!any) break;
  }
}

#ifdef MCTSNAS_HAVE_HWLOC
void probe_topology(Inventory& inv) {
  std::set<int> allowed(inv.allowed_cpus.begin(), inv.allowed_cpus.end());
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) != 0) return;
  if (hwloc_topology_load(topo) != 0) {
    hwloc_topology_destroy(topo);
    return;
  }
  // Cores and their PUs, in hwloc's (physical) order.
  std::vector<std::vector<int>> core_pus;
  int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  for (int i = 0; i < ncores; ++i) {
    hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, i);
    std::vector<int> pus;
    unsigned id;
    hwloc_bitmap_foreach_begin(id, core->cpuset) {
      if (allowed.count(static_cast<int>(id))) pus.push_back(static_cast<int>(id));
    }
    hwloc_bitmap_foreach_end();
    if (!pus.empty()) core_pus.push_back(pus);
  }
  if (core_pus.empty())  // no core objects (some VMs): one PU per "core"
    for (int c : inv.allowed_cpus) core_pus.push_back({c});
  order_cpus(inv, core_pus);

  int nnodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  for (int i = 0; i < nnodes; ++i) {
    hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);
    NumaNodeInfo n;
    n.os_index = static_cast<int>(node->os_index);
    n.memory_bytes = static_cast<int64_t>(node->attr ? node->attr->numanode.local_memory : 0);
    unsigned id;
    hwloc_bitmap_foreach_begin(id, node->cpuset) {
      if (allowed.count(static_cast<int>(id))) n.cpus.push_back(static_cast<int>(id));
    }
    hwloc_bitmap_foreach_end();
    if (!n.cpus.empty()) inv.numa_nodes.push_back(std::move(n));
  }
  hwloc_topology_destroy(topo);
  if (inv.numa_nodes.empty()) {
    NumaNodeInfo n;
    n.cpus = inv.allowed_cpus;
    inv.numa_nodes.push_back(n);
  }
}
#else
// Without hwloc (e.g. a prefix without its headers): the same facts from sysfs.
void probe_topology(Inventory& inv) {
  std::set<int> allowed(inv.allowed_cpus.begin(), inv.allowed_cpus.end());
  std::map<std::pair<int, int>, std::vector<int>> cores;
  for (int c : inv.allowed_cpus) {
    fs::path t = "/sys/devices/system/cpu/cpu" + std::to_string(c) + "/topology";
    std::string pkg = trim(read_file_or_empty(t / "physical_package_id")), core = trim(read_file_or_empty(t / "core_id"));
    auto key = std::make_pair(pkg.empty() ? 0 : std::stoi(pkg), core.empty() ? c : std::stoi(core));
    cores[key].push_back(c);
  }
  std::vector<std::vector<int>> core_pus;
  for (auto& [k, v] : cores) core_pus.push_back(v);
  order_cpus(inv, core_pus);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/devices/system/node", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("node", 0) != 0 || name.size() < 5 || !isdigit(static_cast<unsigned char>(name[4]))) continue;
    NumaNodeInfo n;
    n.os_index = std::stoi(name.substr(4));
    for (int c : parse_cpu_list(read_file_or_empty(e.path() / "cpulist")))
      if (allowed.count(c)) n.cpus.push_back(c);
    n.memory_bytes = meminfo_bytes(read_file_or_empty(e.path() / "meminfo"), "Node " + std::to_string(n.os_index) + " MemTotal");
    if (!n.cpus.empty()) inv.numa_nodes.push_back(std::move(n));
  }
  std::sort(inv.numa_nodes.begin(), inv.numa_nodes.end(),
            [](const NumaNodeInfo& a, const NumaNodeInfo& b) { return a.os_index < b.os_index; });
  if (inv.numa_nodes.empty()) {
    NumaNodeInfo n;
    n.cpus = inv.allowed_cpus;
    inv.numa_nodes.push_back(n);
  }
}
#endif

void probe_cpuinfo(Inventory& inv) {
  std::string text = read_file_or_empty("/proc/cpuinfo");
  std::istringstream in(text);
  std::string line, flags;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = trim(line.substr(0, colon));
    if (key == "model name" && inv.cpu_model.empty()) inv.cpu_model = trim(line.substr(colon + 1));
    if (key == "flags" && flags.empty()) flags = line.substr(colon + 1);
  }
  std::set<std::string> have;
  std::istringstream f(flags);
  for (std::string w; f >> w;) have.insert(w);
  for (const char* x : {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16",
                        "avx512_fp16", "amx_bf16", "amx_int8"})
    if (have.count(x)) inv.isa.push_back(x);
}

void probe_memory(Inventory& inv) {
  std::string mi = read_file_or_empty("/proc/meminfo");
  inv.host_memory_bytes = meminfo_bytes(mi, "MemTotal");
  inv.host_available_bytes = meminfo_bytes(mi, "MemAvailable");

  // This process's cgroup: "0::/path" (v2) or "N:memory:/path" (v1).
  std::string cg = read_file_or_empty("/proc/self/cgroup");
  std::string v2_path, v1_mem_path;
  std::istringstream in(cg);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0::", 0) == 0) v2_path = line.substr(3);
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a != std::string::npos && b != std::string::npos) {
      std::string ctrls = line.substr(a + 1, b - a - 1);
      if (("," + ctrls + ",").find(",memory,") != std::string::npos) v1_mem_path = line.substr(b + 1);
    }
  }
  auto limit_from = [&](const std::string& text) -> int64_t {
    std::string t = trim(text);
    if (t.empty() || t == "max") return 0;
    try {
      int64_t v = std::stoll(t);
      return (v > 0 && v < inv.host_memory_bytes) ? v : 0;
    } catch (...) {
      return 0;
    }
  };
  if (fs::exists("/sys/fs/cgroup/cgroup.controllers")) {
    inv.cgroup_version = "v2";
    fs::path dir = fs::path("/sys/fs/cgroup") / fs::path(v2_path).relative_path();
    inv.container_limit_bytes = limit_from(read_file_or_empty(dir / "memory.max"));
    // Usable only where children of our cgroup get the memory controller (delegation).
    std::string sub = read_file_or_empty(dir / "cgroup.subtree_control");
    inv.cgroup_v2_writable = sub.find("memory") != std::string::npos &&
                             ::access(dir.c_str(), W_OK) == 0;
  } else if (fs::exists("/sys/fs/cgroup/memory")) {
    inv.cgroup_version = "v1";
    for (fs::path p : {fs::path("/sys/fs/cgroup/memory") / fs::path(v1_mem_path).relative_path(),
                       fs::path("/sys/fs/cgroup/memory")}) {
      int64_t l = limit_from(read_file_or_empty(p / "memory.limit_in_bytes"));
      if (l > 0) {
        inv.container_limit_bytes = l;
        break;
      }
    }
  } else {
    inv.cgroup_version = "none";
  }
}

void probe_gpus(Inventory& inv, const InventoryOptions& opt) {
  std::string to = "timeout " + std::to_string(static_cast<int>(opt.gpu_probe_timeout)) + " ";
  auto have = run_command("command -v nvidia-smi >/dev/null 2>&1");
  if (!have) {
    if (fs::exists("/proc/driver/nvidia/version"))
      inv.gpu_probe_error = "an NVIDIA driver is loaded but nvidia-smi is not on PATH";
    return;
  }
  auto csv = run_command(to +
                         "nvidia-smi --query-gpu=index,name,memory.total,memory.used,pci.bus_id,"
                         "driver_version --format=csv,noheader,nounits 2>&1");
  if (!csv) {
    inv.gpu_probe_error = "nvidia-smi failed (no driver, no GPU visible, or it timed out)";
    return;
  }
  std::istringstream in(*csv);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::istringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) f.push_back(trim(cell));
    if (f.size() < 6) continue;
    try {
      GpuInfo g;
      g.index = std::stoi(f[0]);
      g.name = f[1];
      g.memory_total_bytes = std::stoll(f[2]) * 1024 * 1024;  // MiB
      g.memory_used_bytes = std::stoll(f[3]) * 1024 * 1024;
      g.pci_bus_id = f[4];
      inv.nvidia_driver = f[5];
      // sysfs names the device with a 4-digit domain, lower case.
      std::string bus = g.pci_bus_id.size() > 12 ? g.pci_bus_id.substr(g.pci_bus_id.size() - 12)
                                                 : g.pci_bus_id;
      std::transform(bus.begin(), bus.end(), bus.begin(), ::tolower);
      std::string numa = trim(read_file_or_empty("/sys/bus/pci/devices/" + bus + "/numa_node"));
      if (!numa.empty()) g.numa_node = std::stoi(numa);
      inv.gpus.push_back(g);
    } catch (...) {
      continue;  // an unexpected row (e.g. "[N/A]"): skip the GPU rather than guess
    }
  }
  if (auto banner = run_command(to + "nvidia-smi 2>/dev/null")) {
    std::smatch m;
    if (std::regex_search(*banner, m, std::regex(R"(CUDA Version:\s*([0-9.]+))")))
      inv.driver_cuda_version = m[1];
  }
}

std::string version_from_name(const std::string& file, const std::string& stem) {
  // libtorch_cpu.so.1.13.0 -> 1.13.0
  auto pos = file.find(stem + ".");
  if (pos == std::string::npos) return {};
  return file.substr(pos + stem.size() + 1);
}

}  // namespace

std::vector<int> parse_cpu_list(const std::string& list) {
  std::vector<int> out;
  std::istringstream in(trim(list));
  for (std::string part; std::getline(in, part, ',');) {
    part = trim(part);
    if (part.empty()) continue;
    auto dash = part.find('-');
    try {
      if (dash == std::string::npos) {
        out.push_back(std::stoi(part));
      } else {
        int a = std::stoi(part.substr(0, dash)), b = std::stoi(part.substr(dash + 1));
        for (int c = a; c <= b; ++c) out.push_back(c);
      }
    } catch (...) {
      return {};
    }
  }
  return out;
}

std::string format_cpu_list(const std::vector<int>& cpus_in) {
  std::vector<int> cpus = cpus_in;
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

std::vector<LibraryInfo> mapped_libraries(const std::string& maps_text) {
  std::vector<LibraryInfo> out;
  std::set<std::string> seen;
  std::istringstream in(maps_text);
  for (std::string line; std::getline(in, line);) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = trim(line.substr(slash));
    if (path.find(".so") == std::string::npos || !seen.insert(path).second) continue;
    std::error_code ec;
    fs::path real = fs::canonical(path, ec);
    out.push_back({ec ? path : real.string(), {}});
  }
  return out;
}

std::string classify_blas(const std::vector<LibraryInfo>& libs, bool have_libtorch) {
  std::string kind;
  for (const auto& l : libs) {
    std::string name = fs::path(l.path).filename().string();
    if (l.path.find("mkl") != std::string::npos) return "mkl";
    if (l.path.find("openblas") != std::string::npos) kind = "openblas";
    else if (l.path.find("blis") != std::string::npos && kind.empty()) kind = "blis";
    else if (l.path.find("flexiblas") != std::string::npos && kind.empty()) kind = "flexiblas";
    else if (name.rfind("libblas.so", 0) == 0 && kind.empty()) kind = "reference";
  }
  if (!kind.empty()) return kind;
  return have_libtorch ? "built-in" : "none";
}

double cuda_major_minor(const std::string& version) {
  std::smatch m;
  if (std::regex_search(version, m, std::regex(R"((\d+)(?:\.(\d+))?)"))) {
    double major = std::stod(m[1]);
    double minor = m[2].matched ? std::stod(m[2]) : 0;
    return major + minor / 100.0;   // 12.8 -> 12.08, comparable as numbers
  }
  return 0;
}

Inventory probe_inventory(const InventoryOptions& options) {
  Inventory inv;
  inv.allowed_cpus = allowed_cpus();
  probe_topology(inv);
  if (inv.cpu_order.empty()) inv.cpu_order = inv.allowed_cpus;
  if (inv.pus == 0) inv.pus = static_cast<int>(inv.allowed_cpus.size());
  if (inv.cores == 0) inv.cores = inv.pus;
  probe_cpuinfo(inv);
  probe_memory(inv);
  if (options.probe_gpus) probe_gpus(inv, options);
  inv.mps_control = find_mps_control();
  if (const char* v = std::getenv("CUDA_MPS_PIPE_DIRECTORY")) inv.mps_user_pipe_dir = v;

  for (const auto& lib : mapped_libraries(read_file_or_empty("/proc/self/maps"))) {
    std::string name = fs::path(lib.path).filename().string();
    if (name.rfind("libtorch_cpu.so", 0) == 0) {
      LibraryInfo t = lib;
      t.version = version_from_name(name, "libtorch_cpu.so");
      // A PyTorch wheel: torch/lib/libtorch_cpu.so next to torch/version.py.
      std::string py = read_file_or_empty(fs::path(lib.path).parent_path().parent_path() / "version.py");
      std::smatch m;
      if (std::regex_search(py, m, std::regex(R"(__version__\s*=\s*'([^']+)')"))) t.version = m[1];
      inv.libtorch = t;
    } else if (name.rfind("libcudart.so", 0) == 0) {
      inv.cuda_runtime = LibraryInfo{lib.path, version_from_name(name, "libcudart.so")};
    } else if (name.find("blas") != std::string::npos || name.find("mkl") != std::string::npos ||
               name.find("blis") != std::string::npos) {
      inv.blas.push_back(lib);
    }
  }
  inv.blas_kind = classify_blas(inv.blas, inv.libtorch.has_value());
  return inv;
}

namespace {
std::string gib(int64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(b) / (1024.0 * 1024 * 1024));
  return buf;
}
}  // namespace

std::vector<DoctorWarning> doctor_warnings(const Inventory& inv, int trials_in_parallel,
                                           int cpu_threads, int64_t host_memory_per_trial,
                                           bool wants_gpu) {
  std::vector<DoctorWarning> w;
  if (inv.blas_kind == "reference")
    w.push_back({"LibTorch computes matrix products with the reference BLAS (" +
                     (inv.blas.empty() ? std::string() : inv.blas.front().path) +
                     "), 10-20x slower than an optimized one",
                 "install an optimized BLAS: `apt-get install libopenblas0-openmp` (Debian/Ubuntu), "
                 "or select it with `update-alternatives --config libblas.so.3-x86_64-linux-gnu`"});
  if (!inv.isa.empty() && std::find(inv.isa.begin(), inv.isa.end(), "avx2") == inv.isa.end())
    w.push_back({"this CPU has no AVX2: CPU training will be slow",
                 "train on a GPU (resources.devices: cuda) or a newer CPU"});
  if (inv.cuda_runtime && !inv.driver_cuda_version.empty()) {
    double need = cuda_major_minor(inv.cuda_runtime->version);
    double have = cuda_major_minor(inv.driver_cuda_version);
    if (need > 0 && have > 0 && std::floor(need) > std::floor(have))
      w.push_back({"the NVIDIA driver " + inv.nvidia_driver + " supports CUDA up to " +
                       inv.driver_cuda_version + ", older than the CUDA runtime LibTorch uses (" +
                       inv.cuda_runtime->path + ")",
                   "update the NVIDIA driver, or use a LibTorch built for CUDA " +
                       inv.driver_cuda_version});
  }
  if (wants_gpu && inv.gpus.empty())
    w.push_back({"the config asks for GPUs but none is visible" +
                     (inv.gpu_probe_error.empty() ? std::string() : " (" + inv.gpu_probe_error + ")"),
                 "check `nvidia-smi` and CUDA_VISIBLE_DEVICES, or set resources.devices: cpu"});
  if (wants_gpu && !inv.gpus.empty() && inv.libtorch && !inv.cuda_runtime)
    w.push_back({"GPUs are visible but the LibTorch in this build has no CUDA runtime loaded "
                 "(a CPU-only LibTorch?)",
                 "rebuild with a CUDA LibTorch: -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch; "
                 "print(torch.utils.cmake_prefix_path)')"});
  for (const auto& g : inv.gpus)
    if (g.memory_total_bytes > 0 && g.memory_used_bytes > g.memory_total_bytes / 10)
      w.push_back({"GPU " + std::to_string(g.index) + " already has " + gib(g.memory_used_bytes) +
                       " of " + gib(g.memory_total_bytes) + " in use by other processes",
                   "fewer trials will fit on it; stop the other processes or choose another GPU "
                   "(resources.devices: cuda:N)"});
  int threads = std::max(1, trials_in_parallel) * std::max(1, cpu_threads);
  if (inv.pus > 0 && threads > inv.pus)
    w.push_back({std::to_string(trials_in_parallel) + " trials x " + std::to_string(cpu_threads) +
                     " threads = " + std::to_string(threads) + " threads, but only " +
                     std::to_string(inv.pus) + " CPUs are available: trials will run fewer at once",
                 "lower search.parallel or resources.per_trial.cpu_threads"});
  int64_t avail = inv.host_available_bytes;
  if (inv.container_limit_bytes > 0) avail = std::min(avail, inv.container_limit_bytes);
  if (host_memory_per_trial > 0 && avail > 0 &&
      host_memory_per_trial * std::max(1, trials_in_parallel) > avail)
    w.push_back({std::to_string(trials_in_parallel) + " trials x " + gib(host_memory_per_trial) +
                     " host memory is more than the " + gib(avail) + " available",
                 "lower search.parallel or resources.per_trial.host_memory"});
  return w;
}

nlohmann::json to_json(const Inventory& inv) {
  using nlohmann::json;
  json j;
  j["cpu"] = {{"model", inv.cpu_model},
              {"cores", inv.cores},
              {"logical_cpus", inv.pus},
              {"allowed_cpus", format_cpu_list(inv.allowed_cpus)},
              {"isa", inv.isa}};
  json nodes = json::array();
  for (const auto& n : inv.numa_nodes)
    nodes.push_back({{"node", n.os_index}, {"cpus", format_cpu_list(n.cpus)}, {"memory_bytes", n.memory_bytes}});
  j["numa_nodes"] = nodes;
  j["memory"] = {{"total_bytes", inv.host_memory_bytes},
                 {"available_bytes", inv.host_available_bytes},
                 {"container_limit_bytes", inv.container_limit_bytes},
                 {"cgroup", inv.cgroup_version},
                 {"cgroup_v2_writable", inv.cgroup_v2_writable}};
  json gpus = json::array();
  for (const auto& g : inv.gpus)
    gpus.push_back({{"index", g.index},
                    {"name", g.name},
                    {"memory_total_bytes", g.memory_total_bytes},
                    {"memory_used_bytes", g.memory_used_bytes},
                    {"pci_bus_id", g.pci_bus_id},
                    {"numa_node", g.numa_node}});
  j["gpus"] = gpus;
  j["nvidia_driver"] = inv.nvidia_driver;
  j["driver_cuda_version"] = inv.driver_cuda_version;
  if (!inv.gpu_probe_error.empty()) j["gpu_probe_error"] = inv.gpu_probe_error;
  j["mps"] = {{"control_binary", inv.mps_control},
              {"available", !inv.mps_control.empty()},
              {"user_pipe_directory", inv.mps_user_pipe_dir}};
  auto lib = [](const std::optional<LibraryInfo>& l) {
    return l ? json{{"path", l->path}, {"version", l->version}} : json();
  };
  j["libtorch"] = lib(inv.libtorch);
  j["cuda_runtime"] = lib(inv.cuda_runtime);
  json blas = json::array();
  for (const auto& b : inv.blas) blas.push_back(b.path);
  j["blas"] = {{"kind", inv.blas_kind}, {"libraries", blas}};
  return j;
}

}  // namespace mctsnas
