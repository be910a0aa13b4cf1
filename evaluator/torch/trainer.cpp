#include "evaluator/torch/trainer.h"

#include <chrono>
#include <cmath>

#include "common/error.h"
#include "evaluator/torch/compat.h"
#include "evaluator/torch/foreach_adamw.h"

namespace mctsnas::torchnas {

bool use_bf16(Precision precision, const torch::Device& device) {
  return device.is_cuda() && precision != Precision::fp32;
}

double learning_rate(const TrainOptions& o, int64_t step) {
  const int64_t warm = std::max<int64_t>(1, static_cast<int64_t>(o.warmup_fraction * static_cast<double>(o.steps)));
  if (step < warm) return o.lr * static_cast<double>(step + 1) / static_cast<double>(warm);
  const double progress = static_cast<double>(step - warm) / static_cast<double>(std::max<int64_t>(1, o.steps - warm));
  return o.lr * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

void clip_gradients(const std::vector<torch::Tensor>& params, double max_norm) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return;
#if MCTSNAS_TORCH_AT_LEAST(2, 1)
  // Multi-tensor kernels, as torch.nn.utils.clip_grad_norm_ uses: a few launches for
  // all gradients instead of two per tensor (the step is launch-bound on a GPU).
  auto total = at::stack(at::_foreach_norm(grads, 2)).norm(2);
  auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
  at::_foreach_mul_(grads, coef);
#else
  std::vector<torch::Tensor> flat;
  flat.reserve(grads.size());
  for (const auto& g : grads) flat.push_back(g.reshape({-1}).to(torch::kFloat));
  auto total = torch::cat(flat).norm(2);   // one kernel, not one per tensor
  auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
  for (auto& g : grads) g.mul_(coef.to(g.scalar_type()));
#endif
}

namespace {

// Host reads of the loss (a sync) only every few steps and at reports.
constexpr int64_t kCheckEvery = 20;

// Whether the trial must end before `step`: the engine asked (its wall time or a
// shutdown; either way the half-trained model's score is no observation of the
// architecture), or the trial's own wall time is spent.
bool time_is_up(int64_t step, double elapsed, const TrainSettings& s, const StopToken& stop, TrainOutcome& out) {
  if (stop.stop_requested()) {
    out.status = TrialStatus::timeout;
    out.error = "stopped by the engine (stop requested) at step " + std::to_string(step);
    return true;
  }
  if (s.wall_seconds > 0 && elapsed > s.wall_seconds) {
    out.status = TrialStatus::timeout;
    out.error = "wall time " + std::to_string(s.wall_seconds) + " s reached at step " + std::to_string(step);
    return true;
  }
  return false;
}

// The task metric on (a capped part of) the validation split, in eval mode.
double validation_metric(SeqModel& model, const TextTask& task, const TrainSettings& s) {
  const auto& o = s.train;
  torch::NoGradGuard no_grad;
  model->eval();
  torchc::AutocastGuard autocast(s.bf16);
  auto m = task.evaluate(model, Split::val, std::max<int64_t>(o.batch_size, 64), o.eval_batches * o.batch_size,
                         s.device);
  model->train();
  return m.at("val_" + task.metric());
}

// After `done` steps: checks the losses so far for NaN/inf every kCheckEvery steps and
// at reports, and at a report validates and asks the engine whether to go on. False
// when training ends here (out says why).
bool after_step(int64_t done, const torch::Tensor& all_finite, SeqModel& model, const TextTask& task,
                const TrainSettings& s, ProgressSink* progress, TrainOutcome& out) {
  const auto& o = s.train;
  const bool report = done % o.eval_every == 0 || done == o.steps;
  if ((report || done % kCheckEvery == 0) && !all_finite.item<bool>()) {
    out.status = TrialStatus::diverged;
    out.error = "loss became NaN/inf by step " + std::to_string(done);
    return false;
  }
  if (!report) return true;
  const double value = validation_metric(model, task, s);
  if (!std::isfinite(value)) {
    out.status = TrialStatus::diverged;
    out.error = "validation metric is NaN/inf at step " + std::to_string(done);
    return false;
  }
  out.reports.emplace_back(done, value);
  if (progress && done < o.steps && !progress->keep_going(done, value)) {
    out.status = TrialStatus::stopped_early;
    out.error = "stopped early by the engine at step " + std::to_string(done);
    return false;
  }
  return true;
}

}  // namespace

TrainOutcome train_model(SeqModel& model, const TextTask& task, const TrainSettings& s,
                         const StopToken& stop, ProgressSink* progress) {
  const auto& o = s.train;
  TrainOutcome out;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

  model->to(s.device);
  model->train();
  auto params = model->parameters();
  AdamWSettings adamw;
  adamw.weight_decay = o.weight_decay;
  ForeachAdamW opt(params, adamw);
  Rng rng(hash_combine(s.seed, 0x7a11));
  const auto finite_opts = torch::TensorOptions().dtype(torch::kBool).device(s.device);
  torch::Tensor all_finite = torch::ones({}, finite_opts);
  torch::Tensor loss;
  for (int64_t step = 0; step < o.steps; ++step) {
    if (time_is_up(step, elapsed(), s, stop, out)) break;
    const double lr = learning_rate(o, step);
    auto batch = task.sample_train(o.batch_size, rng).to(s.device);
    {
      torchc::AutocastGuard autocast(s.bf16);
      loss = s.loss ? s.loss(model, batch) : task.loss(model, batch);
    }
    opt.zero_grad();
    loss.backward();
    if (o.grad_clip > 0) clip_gradients(params, o.grad_clip);
    opt.step(lr);
    all_finite = all_finite & torch::isfinite(loss.detach());
    out.steps = step + 1;
    if (!after_step(step + 1, all_finite, model, task, s, progress, out)) break;
  }
  if (loss.defined()) out.last_loss = loss.item<double>();
  if (out.status == TrialStatus::ok && !std::isfinite(out.last_loss)) {
    out.status = TrialStatus::diverged;
    out.error = "final loss is NaN/inf";
  }
  out.seconds = elapsed();
  return out;
}

}  // namespace mctsnas::torchnas
