#pragma once
// What the machine offers to trials, as the budgeter and `mctsnas doctor` see it:
// the CPUs this process may use (its affinity mask, grouped by NUMA node with hwloc),
// host memory (and a container's memory limit), GPUs (nvidia-smi), driver and CUDA
// versions, the CPU's vector ISA, and the LibTorch/BLAS libraries mapped into this
// process. Nothing here links LibTorch or CUDA: libraries are found in /proc/self/maps.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mctsnas {

struct NumaNodeInfo {
  int os_index = 0;
  std::vector<int> cpus;          // logical CPUs (PUs) of this node that we may use
  int64_t memory_bytes = 0;       // 0 when unknown
};

struct GpuInfo {
  int index = 0;                  // CUDA device index (nvidia-smi order)
  std::string name;
  int64_t memory_total_bytes = 0;
  int64_t memory_used_bytes = 0;  // by anyone, when probed
  std::string pci_bus_id;         // e.g. 00000000:19:00.0
  int numa_node = -1;             // from sysfs; -1 when unknown / single node
};

struct LibraryInfo {
  std::string path;               // resolved path of the mapped file
  std::string version;            // when it can be read from the file name or a version file
};

struct Inventory {
  // CPU
  std::string cpu_model;
  int cores = 0;                  // physical cores among the allowed CPUs
  int pus = 0;                    // logical CPUs (hardware threads) among the allowed CPUs
  std::vector<int> allowed_cpus;  // this process's affinity mask
  std::vector<NumaNodeInfo> numa_nodes;
  std::vector<int> cpu_order;     // allowed CPUs, one PU per core first, then SMT siblings
  std::vector<std::string> isa;   // notable vector extensions: avx2, avx512f, avx512_bf16, amx_bf16, ...
  // memory
  int64_t host_memory_bytes = 0;       // MemTotal
  int64_t host_available_bytes = 0;    // MemAvailable
  int64_t container_limit_bytes = 0;   // cgroup memory limit when lower than MemTotal, else 0
  std::string cgroup_version;          // "v2", "v1" or "none"
  bool cgroup_v2_writable = false;     // a per-trial memory.max can be set
  // GPUs
  std::vector<GpuInfo> gpus;
  std::string nvidia_driver;           // e.g. 570.86.15; empty without a driver
  std::string driver_cuda_version;     // the newest CUDA the driver supports, e.g. 12.8
  std::string gpu_probe_error;         // why GPUs could not be listed, when nvidia-smi failed
  std::string mps_control;             // nvidia-cuda-mps-control's path; empty: not found
  std::string mps_user_pipe_dir;       // CUDA_MPS_PIPE_DIRECTORY, when the user set it
  // libraries mapped into this process (a build with LibTorch maps them at start)
  std::optional<LibraryInfo> libtorch;
  std::optional<LibraryInfo> cuda_runtime;   // libcudart
  std::vector<LibraryInfo> blas;             // libblas / openblas / mkl / blis
  std::string blas_kind;                     // openblas | mkl | blis | reference | built-in | none
};

struct InventoryOptions {
  bool probe_gpus = true;         // run nvidia-smi
  double gpu_probe_timeout = 10;  // seconds
};

Inventory probe_inventory(const InventoryOptions& options = {});

// A warning a user can act on: what is wrong and what to do.
struct DoctorWarning {
  std::string what;
  std::string fix;
};

// Warnings about this inventory for a run that wants `trials_in_parallel` trials of
// `cpu_threads` threads and `host_memory_per_trial` bytes (0: unknown) each.
std::vector<DoctorWarning> doctor_warnings(const Inventory& inv, int trials_in_parallel,
                                           int cpu_threads, int64_t host_memory_per_trial,
                                           bool wants_gpu);

nlohmann::json to_json(const Inventory& inv);

// Helpers, exposed for tests.
std::vector<int> parse_cpu_list(const std::string& list);        // "0-3,8,10-11"
std::string format_cpu_list(const std::vector<int>& cpus);        // inverse, compact
std::vector<LibraryInfo> mapped_libraries(const std::string& maps_text);
std::string classify_blas(const std::vector<LibraryInfo>& libs, bool have_libtorch);
// `major.minor` of a "12.8" / "13.0.1" / libcudart.so.13 style version; 0 if none.
double cuda_major_minor(const std::string& version);

}  // namespace mctsnas
