#pragma once
// One trial: train/score one architecture inside a budget. The search never knows
// what stands behind this interface (a table lookup, a LibTorch trainer, a worker
// process on another host).
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "space/architecture.h"

namespace mctsnas {

enum class TrialStatus : uint8_t {
  ok,
  timeout,        // broke its wall-time budget
  oom_host,       // broke its host-memory budget
  oom_gpu,        // broke its GPU-memory budget
  diverged,       // NaN/inf loss
  crashed,        // the worker died (signal, abort, exception)
  invalid,        // the evaluator cannot score this architecture (e.g. not in the table)
  infeasible,     // scored, but violates a constraint (max_params, max_latency_ms)
  stopped_early,  // cut by the early-stopping rule; score is the last reported value
  killed,         // the worker was killed by a signal from outside mctsnas, not for memory
};

const char* to_string(TrialStatus s);
std::optional<TrialStatus> trial_status_from_string(const std::string& s);
// A status whose score may be used as an observation of the architecture.
inline bool has_score(TrialStatus s) {
  return s == TrialStatus::ok || s == TrialStatus::stopped_early;
}

struct TrialBudget {
  int cpu_threads = 1;
  std::vector<int> cpu_set;             // empty: no pinning
  std::optional<int> gpu;               // CUDA device index; empty: CPU
  int64_t gpu_mem_bytes = 0;            // 0: no cap
  int64_t host_mem_bytes = 0;           // 0: no cap
  double wall_seconds = 0;              // 0: no limit
};

// Named metrics, e.g. "val_per", "params", "latency_ms_b1". std::map keeps the
// order stable in trials.jsonl.
using Metrics = std::map<std::string, double>;

// A trial's validation metric at each report during training (the values early
// stopping sees), for the report's learning curves. Empty for table lookups.
struct LearningCurve {
  std::string metric;                               // e.g. "val_per"
  std::vector<std::pair<int64_t, double>> points;   // (training step, value)
};

struct TrialResult {
  TrialStatus status = TrialStatus::ok;
  double score = 0;          // the objective metric, in the user's direction (not negated)
  Metrics metrics;
  std::string error;         // why, for every status but ok
  double seconds = 0;        // wall time of the evaluation
  LearningCurve curve;
};

// Cooperative cancellation: evaluators poll it between steps.
class StopToken {
 public:
  bool stop_requested() const { return flag_ && flag_->load(std::memory_order_relaxed); }
  StopToken() = default;
  explicit StopToken(const std::atomic<bool>* flag) : flag_(flag) {}

 private:
  const std::atomic<bool>* flag_ = nullptr;
};

// Called by evaluators that train with intermediate validation: the engine
// answers whether to go on (early stopping). Default: always go on.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // step: training step; value: the objective metric at that step.
  virtual bool keep_going(int64_t step, double value) = 0;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual TrialResult evaluate(const Architecture& arch, const TrialBudget& budget,
                               const StopToken& stop, ProgressSink* progress = nullptr) = 0;
  // Whether evaluate() is cheap and safe to run in-process many times at once.
  virtual bool thread_safe() const { return false; }

  // A reference model (e.g. a standard Transformer) of about `like`'s size,
  // trained and scored exactly as a trial, so a report can say how the
  // found architecture compares at equal budget. Evaluators without one (tables)
  // answer has_baseline() == false.
  virtual bool has_baseline() const { return false; }
  virtual TrialResult evaluate_baseline(const Architecture& like, const TrialBudget& budget, const StopToken& stop);

  // The same training from the seed-th other seed (seed >= 1) of `arch`, or of the
  // reference model sized like it, without early stopping: after a search, the
  // winner and the reference are retrained from N other seeds (task.baseline_seeds)
  // so that a report can say whether their difference is more than seed noise.
  // Evaluators that train nothing answer `invalid`.
  virtual TrialResult evaluate_reseeded(const Architecture& arch, bool baseline, uint32_t seed,
                                        const TrialBudget& budget, const StopToken& stop);

  // What `validate` prints about the data read (text tasks: split sizes, label
  // counts), as indented lines; empty: nothing to say.
  virtual std::string data_summary() const { return {}; }

  // Files a run keeps beside its config for this evaluator, by name and content (a
  // sentencepiece model trained on the data): workers, resume and export read them
  // rather than derive them again. The search writes those missing once it holds the
  // run directory.
  virtual std::map<std::string, std::string> run_files() const { return {}; }
};

// What a trial request asks of an evaluator: evaluate(arch) with progress reports,
// evaluate_baseline(arch), or (seed >= 1) evaluate_reseeded.
TrialResult evaluate_request(Evaluator& evaluator, const Architecture& arch, bool baseline, uint32_t seed,
                             const TrialBudget& budget, const StopToken& stop, ProgressSink* progress);

}  // namespace mctsnas
