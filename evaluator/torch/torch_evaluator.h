#pragma once
// The LibTorch evaluator: decodes an Architecture of the `cells` space, builds the
// model, measures it (params, FLOPs, latency at batch 1 and 32), checks the
// constraints, trains it and scores it on the task's validation split.
#include <functional>
#include <memory>

#include "evaluator/evaluator.h"
#include "evaluator/task_options.h"
#include "evaluator/torch/seq_model.h"
#include "evaluator/torch/text_tasks.h"
#include "space/search_space.h"

namespace mctsnas {

// `space` must be a CellSpace and outlive the evaluator. Loads the task's data now
// (Error naming the file and how to fetch it when missing or malformed).
std::unique_ptr<Evaluator> make_torch_evaluator(const SearchSpace& space, const TaskOptions& task,
                                                const TrainOptions& train, const ObjectiveOptions& objective,
                                                uint64_t seed);

namespace torchnas {

// The final scoring pass (a trial's, an export's, a compressed variant's) covers the
// first this many examples of each split: a trial's evaluation stays a small part of
// its time, and every score of a run is over the same examples, so scores compare.
inline constexpr int64_t kFinalEvalExamples = 4096;

class TorchEvaluator : public Evaluator {
 public:
  using Decoder = std::function<CellArchitecture(const Architecture&)>;
  TorchEvaluator(Decoder decode, const TaskOptions& task, const TrainOptions& train,
                 const ObjectiveOptions& objective, uint64_t seed);

  TrialResult evaluate(const Architecture& arch, const TrialBudget& budget, const StopToken& stop,
                       ProgressSink* progress = nullptr) override;
  // The reference: a standard Transformer (full attention) with `like`'s layer
  // counts and about its parameter count (baseline_model.h), trained and scored
  // exactly as a trial; its metrics add params_target, `like`'s count.
  bool has_baseline() const override { return true; }
  TrialResult evaluate_baseline(const Architecture& like, const TrialBudget& budget, const StopToken& stop) override;
  TrialResult evaluate_reseeded(const Architecture& arch, bool baseline, uint32_t seed, const TrialBudget& budget,
                                const StopToken& stop) override;
  // Any model spec (tests, bench, export).
  TrialResult evaluate_spec(const ModelSpec& spec, uint64_t trial_seed, const TrialBudget& budget,
                            const StopToken& stop, ProgressSink* progress);

  std::string data_summary() const override { return task_->data_summary(); }
  std::map<std::string, std::string> run_files() const override;
  const TextTask& task() const { return *task_; }
  // The objective metric's name, e.g. "val_per".
  const std::string& metric() const { return metric_; }
  bool minimize() const { return minimize_; }

 private:
  // What evaluate, evaluate_baseline and evaluate_reseeded share: decode `arch`,
  // size the reference like it when `baseline`, mix `seed` (>= 1) into the trial's
  // seed, and train.
  TrialResult train_request(const Architecture& arch, bool baseline, uint32_t seed, const TrialBudget& budget,
                            const StopToken& stop, ProgressSink* progress);
  // One trial's model, where and how it runs (evaluate_spec's parts).
  struct Run {
    SeqModel& model;
    const torch::Device& device;
    bool bf16;
    uint64_t seed;
  };
  // params, flops, d_model, bf16 and latencies into `metrics`.
  void measure(const Run& run, const ModelSpec& spec, Metrics& metrics) const;
  // Trains the model, evaluates it on val and test, and scores the trial into r.
  void train_and_score(const Run& run, double wall_seconds, const StopToken& stop, ProgressSink* progress,
                       TrialResult& r) const;

  Decoder decode_;
  TaskOptions task_opts_;
  TrainOptions train_;
  ObjectiveOptions objective_;
  uint64_t seed_;
  std::unique_ptr<TextTask> task_;
  std::string metric_;
  bool minimize_;
};

// Forward latency in milliseconds (median of several runs after warm-up) of the
// model on `batch` full-length examples.
// This process's peak resident memory (getrusage), bytes.
int64_t host_peak_rss_bytes();

double measure_latency_ms(SeqModel& model, const TextTask& task, int64_t batch, const torch::Device& device, bool bf16);

}  // namespace torchnas
}  // namespace mctsnas
