#pragma once
// Hands out trial slots: a CPU set (disjoint cores, NUMA-local to the trial's GPU
// where the topology says which node a GPU hangs off), a GPU index, and the caps of
// resources.per_trial. Capacity is what fits: CPUs / cpu_threads, host memory /
// host cap, and on GPUs `trials_per_gpu` slots per device.
//
// trials_per_gpu: auto packs several trials per GPU:
//   - with per_trial.gpu_memory set: as many as fit in the GPU's free memory, each
//     counted at its cap plus the CUDA context;
//   - without it, before any trial has reported its memory (the probe): trials start
//     at once with equal shares of the GPU, at least probe_min_cap_bytes each;
//   - once trials report their measured peak (metric gpu_peak_allocated_bytes): as many
//     as fit at that peak times the margin plus the context.
// Every GPU trial's share is its enforced cap (TrialBudget::gpu_mem_bytes, the CUDA
// caching allocator's per-process fraction in the worker), and the caps of the trials
// on a GPU, each plus the context, never add up to more than its usable memory: no
// trial can starve a neighbour; one that outgrows its share ends as oom_gpu. Trials
// beyond capacity, or waiting for a larger-capped (probe) trial to free its share,
// wait in the pool's queue.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "evaluator/evaluator.h"
#include "runtime/inventory.h"
#include "runtime/resource_options.h"

namespace mctsnas {

struct BudgeterOptions {
  ResourceOptions resources;
  int max_parallel = 1;                        // search.parallel: never more at once
  double gpu_memory_margin = 1.5;              // measured peak x this
  int64_t cuda_context_bytes = int64_t{600} << 20;  // per process, beyond the allocator's peak
  double gpu_usable_fraction = 0.92;           // of the free memory at start
  int max_trials_per_gpu = 32;
  // Probe phase: the smallest share a trial starts with before any was measured.
  int64_t probe_min_cap_bytes = int64_t{4} << 30;
};

struct Slot {
  int id = -1;                 // unique among slots handed out and not yet released
  TrialBudget budget;
  std::string device;          // "cpu" or "cuda:N"
};

class Budgeter {
 public:
  // Throws Error when the config asks for something the machine lacks (cuda and no
  // GPU, a GPU index that does not exist, a malformed devices string).
  Budgeter(const Inventory& inventory, BudgeterOptions options);

  // Slots that may be busy at once now (grows as packing learns trial sizes).
  // acquire() may still say no below it while trials started with a larger share
  // (before the first measurement) hold the GPU memory.
  int capacity() const;
  int busy() const { return static_cast<int>(busy_.size()); }
  // A free slot, or nullopt when capacity() are busy.
  std::optional<Slot> acquire();
  // Returns the slot; `result` teaches GPU packing the trial's measured memory.
  void release(const Slot& slot, const TrialResult* result = nullptr);

  bool uses_gpus() const { return !gpus_.empty(); }
  // Whether two trials may ever run on one GPU at once (now or once packing has
  // measured trial sizes): what makes NVIDIA MPS worth starting.
  bool may_share_gpu() const;
  int trials_per_gpu(int gpu_position) const;
  // One line per limit that bounds capacity, for the log and `doctor`.
  std::vector<std::string> describe() const;

 private:
  struct GpuState {
    int index = 0;
    int numa_node = -1;
    int64_t usable_bytes = 0;
    int busy = 0;
    int64_t committed_bytes = 0;   // caps + contexts of its busy trials
  };
  int cpu_limit() const;
  int memory_limit() const;
  int non_gpu_limit() const;
  bool fits(const GpuState& g) const;
  int per_gpu_limit(const GpuState& g) const;
  int64_t gpu_cap(const GpuState& g) const;
  std::vector<int> take_cpus(int numa_node);

  Inventory inv_;
  BudgeterOptions opt_;
  std::vector<GpuState> gpus_;
  std::vector<bool> cpu_busy_;            // indexed like inv_.cpu_order
  int64_t measured_gpu_peak_ = 0;         // max over finished trials
  std::vector<Slot> busy_;
  int next_id_ = 0;
};

// Parses resources.devices: "auto" | "cpu" | "cuda" | "cuda:0,2". Returns the GPU
// indices to use (empty: CPU). Throws Error naming the key.
std::vector<int> parse_devices(const std::string& devices, const Inventory& inventory);

}  // namespace mctsnas
