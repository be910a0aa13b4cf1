#pragma once
// Trains one model on one task: AdamW, linear warmup + cosine decay, gradient-norm
// clipping, bf16 autocast on CUDA (fp32 on CPU), seeded batches, validation every
// eval_every steps reported to the engine's ProgressSink (which may stop the trial).
#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "evaluator/evaluator.h"
#include "evaluator/task_options.h"
#include "evaluator/torch/text_tasks.h"

namespace mctsnas::torchnas {

struct TrainSettings {
  TrainOptions train;
  torch::Device device = torch::kCPU;
  bool bf16 = false;
  uint64_t seed = 0;
  double wall_seconds = 0;   // 0: no limit
  // Replaces the task's loss (distillation adds the teacher's soft targets); empty: task.loss.
  std::function<torch::Tensor(SeqModel&, const Batch&)> loss;
};

struct TrainOutcome {
  TrialStatus status = TrialStatus::ok;   // ok, diverged, timeout (wall time or StopToken), stopped_early (ProgressSink)
  std::string error;
  int64_t steps = 0;
  double seconds = 0;
  double last_loss = 0;
  std::vector<std::pair<int64_t, double>> reports;   // (step, validation metric)
};

// Resolves train.precision for a device: automatic is bf16 on CUDA, fp32 elsewhere;
// bf16 asked for on CPU runs fp32 (LibTorch 1.13's CPU autocast is not used).
bool use_bf16(Precision precision, const torch::Device& device);

double learning_rate(const TrainOptions& o, int64_t step);

// Scales gradients so their global L2 norm is at most max_norm, without reading the
// norm back to the host (no sync per step: the GPU queue stays full).
void clip_gradients(const std::vector<torch::Tensor>& params, double max_norm);

TrainOutcome train_model(SeqModel& model, const TextTask& task, const TrainSettings& s,
                         const StopToken& stop, ProgressSink* progress);

}  // namespace mctsnas::torchnas
