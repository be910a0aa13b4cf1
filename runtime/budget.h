#pragma once
// Applying one trial's budget inside its worker process, before the evaluator is
// built. What each cap becomes:
//   cpu_set      -> sched_setaffinity on every thread of the worker (threads created
//                   later inherit it, so extra threads share the same cores)
//   cpu_threads  -> OMP/MKL/OpenBLAS thread variables (the parent also sets them in the
//                   worker's environment, since OpenMP reads them at library load) and
//                   TrialBudget::cpu_threads, which the evaluator passes to LibTorch
//   host memory  -> a cgroup v2 memory.max when this process may create one; otherwise
//                   RLIMIT_AS (CPU trials only: CUDA reserves huge address ranges) as a
//                   hard stop, with the parent's RSS watchdog as the measured cap
//   GPU memory   -> TrialBudget::gpu_mem_bytes, applied by the LibTorch evaluator
//                   (CUDA caching allocator's per-process memory fraction)
//   wall time    -> enforced by the parent (ProcessPool kills the worker)
#include <cstdint>
#include <string>
#include <vector>

#include "evaluator/evaluator.h"

namespace mctsnas {

struct AppliedBudget {
  bool cpu_set = false;             // affinity set on all threads
  std::string host_memory = "none"; // cgroup | rlimit_as | watchdog | none
  int64_t rlimit_as_bytes = 0;      // when host_memory == rlimit_as
  std::string cgroup;               // when host_memory == cgroup: the cgroup's directory
  std::vector<std::string> notes;   // what could not be applied, and why
};

// Applies the caps above to the calling process. Never throws for a cap the OS
// refuses: that is recorded in notes (the parent's watchdog still applies).
AppliedBudget apply_budget(const TrialBudget& budget);

// Environment variables that cap the thread pools of OpenMP / BLAS libraries.
std::vector<std::pair<std::string, std::string>> thread_env(int cpu_threads);

// Pins every thread of this process to `cpus`. False (errno set) on failure.
bool set_process_affinity(const std::vector<int>& cpus);

// The cgroup v2 directory apply_budget() creates for worker `pid` (it may not exist),
// and whether the kernel OOM-killed inside it; remove_cgroup() deletes it once empty.
std::string worker_cgroup_dir(int pid);
bool cgroup_oom_killed(const std::string& dir);
void remove_cgroup(const std::string& dir);

// Resident set size and thread count of a process, from /proc/<pid>/{statm,status};
// -1 when the process is gone.
int64_t process_rss_bytes(int pid);
int process_threads(int pid);

// The kernel's count of OOM kills since boot (/proc/vmstat oom_kill); -1 where the
// kernel does not report it. A rise while a trial ran is evidence that its SIGKILL
// came from the OOM killer.
int64_t system_oom_kills();

// Extra address space allowed above what the worker has mapped when the cap is
// applied: thread stacks and malloc arenas reserve address space they never touch.
inline constexpr int64_t kAddressSpaceSlack = int64_t{512} << 20;

}  // namespace mctsnas
