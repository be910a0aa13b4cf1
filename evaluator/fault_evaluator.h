#pragma once
// A test-only evaluator (`task.kind: fault`) that misbehaves on purpose, so that the
// runtime's budgets and fault isolation can be tested end to end. The behaviour is
// chosen by the architecture: the space must have a decision named `behaviour`
// whose choice labels are behaviour names, e.g. a categorical space
//   decisions: [{name: behaviour, choices: [ok, segfault, alloc, sleep, nan, threads, abort]}, ...]
// Behaviours:
//   ok       score from the other decisions' choice indices (deterministic)
//   segfault dies of SIGSEGV                 -> crashed
//   abort    std::abort()                    -> crashed
//   throw    throws std::runtime_error       -> crashed
//   alloc    touches memory until 4x its host memory cap (512 MiB without a cap)
//                                              -> oom_host, if the cap is enforced
//   sleep    sleeps 3x its wall time (+1 s)  -> timeout, if wall time is enforced
//   nan      returns a NaN score             -> diverged
//   threads  runs 4x cpu_threads busy threads for 0.5 s; metrics: threads_peak and
//            cpu_utilization (CPU seconds / wall seconds; bounded by the CPU set)
//   probe    reports what the worker sees in /proc: cpus_allowed_count,
//            cpus_allowed_mask (CPUs 0-51), threads, omp_num_threads, budget_cpu_threads,
//            rlimit_as_bytes
// Only meaningful in worker processes: in-process, a segfault takes the caller down.
#include <string>
#include <vector>

#include "evaluator/evaluator.h"
#include "space/search_space.h"

namespace mctsnas {

class FaultEvaluator final : public Evaluator {
 public:
  // Throws Error when the space has no `behaviour` decision or a label is not a
  // known behaviour.
  explicit FaultEvaluator(const SearchSpace& space);
  TrialResult evaluate(const Architecture& arch, const TrialBudget& budget, const StopToken& stop,
                       ProgressSink* progress = nullptr) override;

  static const std::vector<std::string>& behaviours();

 private:
  int behaviour_decision_ = -1;
  std::vector<std::string> labels_;
};

}  // namespace mctsnas
