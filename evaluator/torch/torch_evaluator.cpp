#include "evaluator/torch/torch_evaluator.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "common/error.h"
#include "common/stopwatch.h"
#include "evaluator/sentencepiece_tokenizer.h"
#include "evaluator/task_metrics.h"
#include "evaluator/torch/export_model.h"
#include "evaluator/torch/baseline_model.h"
#include "evaluator/torch/compat.h"
#include "evaluator/torch/trainer.h"
#include "space/cell_space.h"

namespace mctsnas {
namespace torchnas {
int64_t host_peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<int64_t>(u.ru_maxrss) * 1024;
}

double measure_latency_ms(SeqModel& model, const TextTask& task, int64_t batch, const torch::Device& device, bool bf16) {
  torch::NoGradGuard no_grad;
  model->eval();
  auto b = task.example_batch(batch).to(device);
  torchc::AutocastGuard autocast(bf16);
  torchc::sync(task.infer(model, b));  // warm-up: allocator, kernels picked
  // The median of 7 runs, or of at least 3 once they have taken 150 ms: a whole
  // G2P decode on a CPU must not cost a trial more than its training does.
  std::vector<double> ms;
  double total = 0;
  while (ms.size() < 7 && (ms.size() < 3 || total < 150.0)) {
    const auto t0 = std::chrono::steady_clock::now();
    torchc::sync(task.infer(model, b));
    ms.push_back(ms_since(t0));
    total += ms.back();
  }
  auto mid = ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2);
  std::nth_element(ms.begin(), mid, ms.end());
  return *mid;
}

TorchEvaluator::TorchEvaluator(Decoder decode, const TaskOptions& task, const TrainOptions& train,
                               const ObjectiveOptions& objective, uint64_t seed)
    : decode_(std::move(decode)), task_opts_(task), train_(train), objective_(objective), seed_(seed),
      task_(make_text_task(task)) {
  metric_ = objective.metric.empty() ? "val_" + task_->metric() : objective.metric;
  minimize_ = objective.metric.empty() ? task_->minimize() : objective.goal == Goal::minimize;
  if (auto why = objective_metric_problem(task, metric_); !why.empty()) throw Error("objective.metric: " + why);
}

// A trial trains from a seed of the run's seed and its architecture, the reference
// from one of the run's seed alone; seed k >= 1 (evaluate_reseeded) mixes k in.
TrialResult TorchEvaluator::train_request(const Architecture& arch, bool baseline, uint32_t seed,
                                          const TrialBudget& budget, const StopToken& stop, ProgressSink* progress) {
  ModelSpec spec;
  try {
    spec.arch = decode_(arch);
  } catch (const std::exception& e) {
    TrialResult r;
    r.status = TrialStatus::invalid;
    r.error = std::string("cannot decode architecture: ") + e.what();
    return r;
  }
  std::optional<BaselineSize> size;
  if (baseline) size = param_matched_baseline(spec.arch, task_->shape());
  uint64_t trial_seed = baseline ? hash_combine(seed_, 0xba5e) : hash_combine(seed_, exact_hash(arch.choices));
  if (seed > 0) trial_seed = hash_combine(trial_seed, seed);
  TrialResult r = evaluate_spec(size ? size->spec : spec, trial_seed, budget, stop, progress);
  // The winner's count, which the reference is sized to.
  if (size) r.metrics["params_target"] = static_cast<double>(size->target_params);
  return r;
}

TrialResult TorchEvaluator::evaluate(const Architecture& arch, const TrialBudget& budget, const StopToken& stop,
                                     ProgressSink* progress) {
  return train_request(arch, /*baseline=*/false, 0, budget, stop, progress);
}

TrialResult TorchEvaluator::evaluate_baseline(const Architecture& like, const TrialBudget& budget, const StopToken& stop) {
  return train_request(like, /*baseline=*/true, 0, budget, stop, nullptr);
}

TrialResult TorchEvaluator::evaluate_reseeded(const Architecture& arch, bool baseline, uint32_t seed,
                                              const TrialBudget& budget, const StopToken& stop) {
  return train_request(arch, baseline, seed, budget, stop, nullptr);
}

namespace {

// The trial's device. On a GPU, the trial's GPU memory budget is enforced before the
// model exists: past it an allocation fails with CUDA out of memory and the trial
// ends as oom_gpu, while its neighbours on the same GPU keep their memory. The
// fraction is per process, so the cap is exact for trials in worker processes (the
// default for this evaluator); trials run in-process at once share the last cap set.
torch::Device trial_device(const TrialBudget& budget, Metrics& metrics) {
  if (!budget.gpu) return torch::kCPU;
  if (!torch::cuda::is_available())
    throw Error("trial budget names GPU " + std::to_string(*budget.gpu) + " but this LibTorch sees no CUDA device");
  const double fraction = torchc::cuda_set_memory_cap(*budget.gpu, budget.gpu_mem_bytes);
  if (budget.gpu_mem_bytes > 0 && fraction > 0) {
    metrics["gpu_mem_cap_bytes"] = static_cast<double>(budget.gpu_mem_bytes);
    metrics["gpu_mem_fraction"] = fraction;
  }
  torchc::cuda_reset_peak_memory(*budget.gpu);
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(*budget.gpu));
}

// The constraint the model breaks ("" when none), known before training. The
// searchers propose only architectures within max_params and max_flops
// (space/constrained_space.h), so of these only the latency bound is met here in a
// search; the others guard direct `mctsnas trial` runs and the baseline.
std::string violated_constraint(const ObjectiveOptions& objective, Metrics& metrics) {
  const auto& c = objective.constraints;
  if (c.max_params && metrics["params"] > *c.max_params)
    return "params " + std::to_string(static_cast<int64_t>(metrics["params"])) + " > max_params " +
           std::to_string(static_cast<int64_t>(*c.max_params));
  if (c.max_flops && metrics["flops"] > *c.max_flops)
    return "flops " + std::to_string(metrics["flops"]) + " > max_flops " + std::to_string(*c.max_flops);
  if (c.max_latency_ms && metrics["latency_ms_b1"] > *c.max_latency_ms)
    return "latency_ms_b1 " + std::to_string(metrics["latency_ms_b1"]) + " > max_latency_ms " +
           std::to_string(*c.max_latency_ms);
  return "";
}

// The trial's status and error from what LibTorch or the host threw.
void record_failure(TrialResult& r, TrialStatus status, const std::string& error) {
  r.status = status;
  r.error = error;
}

}  // namespace

void TorchEvaluator::measure(const Run& run, const ModelSpec& spec, Metrics& metrics) const {
  const auto [fs, ft] = task_->flop_lengths();
  metrics["params"] = static_cast<double>(run.model->num_parameters());
  metrics["flops"] = run.model->flops(fs, ft);
  metrics["d_model"] = spec.arch.d_model;
  metrics["bf16"] = run.bf16 ? 1 : 0;
  metrics["latency_ms_b1"] = measure_latency_ms(run.model, *task_, 1, run.device, run.bf16);
  metrics["latency_ms_b32"] = measure_latency_ms(run.model, *task_, 32, run.device, run.bf16);
}

void TorchEvaluator::train_and_score(const Run& run, double wall_seconds, const StopToken& stop,
                                     ProgressSink* progress, TrialResult& r) const {
  auto& model = run.model;
  const auto& device = run.device;
  TrainSettings ts;
  ts.train = train_;
  ts.device = device;
  ts.bf16 = run.bf16;
  ts.seed = run.seed;
  ts.wall_seconds = wall_seconds;
  torch::manual_seed(hash_combine(run.seed, 1));
  const auto out = train_model(model, *task_, ts, stop, progress);
  r.status = out.status;
  r.error = out.error;
  r.metrics["steps"] = static_cast<double>(out.steps);
  r.metrics["train_seconds"] = out.seconds;
  r.metrics["train_loss"] = out.last_loss;
  if (!out.reports.empty()) r.metrics["last_report_" + metric_] = out.reports.back().second;
  r.curve = {"val_" + task_->metric(), out.reports};

  if (r.status == TrialStatus::ok) {
    torch::NoGradGuard no_grad;
    model->eval();
    torchc::AutocastGuard autocast(run.bf16);
    const int64_t eb = std::max<int64_t>(train_.batch_size, 64);
    for (auto split : {Split::val, Split::test})
      for (const auto& [k, v] : task_->evaluate(model, split, eb, kFinalEvalExamples, device)) r.metrics[k] = v;
  }
  if (device.is_cuda()) r.metrics["gpu_peak_allocated_bytes"] = static_cast<double>(torchc::cuda_peak_allocated(device.index()));

  if (r.status != TrialStatus::ok && r.status != TrialStatus::stopped_early) return;
  auto it = r.metrics.find(metric_);
  if (r.status == TrialStatus::stopped_early && !out.reports.empty()) {
    r.score = out.reports.back().second;
  } else if (it != r.metrics.end()) {
    r.score = it->second;
  } else {
    r.status = TrialStatus::crashed;
    r.error = "objective metric " + metric_ + " was not measured (stopped before the first validation)";
  }
}

TrialResult TorchEvaluator::evaluate_spec(const ModelSpec& spec, uint64_t trial_seed, const TrialBudget& budget,
                                          const StopToken& stop, ProgressSink* progress) {
  const auto t0 = std::chrono::steady_clock::now();
  TrialResult r;
  try {
    const torch::Device device = trial_device(budget, r.metrics);
    if (budget.cpu_threads > 0) torch::set_num_threads(budget.cpu_threads);
    const bool bf16 = use_bf16(train_.precision, device);
    if (spec.arch.model != task_->model_kind())
      throw Error("task " + task_->kind() + " needs model: " + task_->model_kind() + ", the space makes " + spec.arch.model);
    torch::manual_seed(trial_seed);
    auto model = build_model(spec, task_->shape());
    model->to(device);
    const Run run{model, device, bf16, trial_seed};
    measure(run, spec, r.metrics);
    r.error = violated_constraint(objective_, r.metrics);
    if (!r.error.empty()) r.status = TrialStatus::infeasible;   // no training time spent on it
    else train_and_score(run, budget.wall_seconds, stop, progress, r);
  } catch (const Error& e) {
    record_failure(r, TrialStatus::invalid, e.what());
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    record_failure(r, msg.find("out of memory") != std::string::npos ? TrialStatus::oom_gpu : TrialStatus::crashed,
                   "LibTorch: " + msg.substr(0, 500));
  } catch (const std::bad_alloc&) {
    record_failure(r, TrialStatus::oom_host, "host memory exhausted");
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.metrics["host_peak_rss_bytes"] = static_cast<double>(host_peak_rss_bytes());
  return r;
}

std::map<std::string, std::string> TorchEvaluator::run_files() const {
  // A model the run trained; a user's own .model stays where the config names it.
  if (!task_opts_.sentencepiece.model.empty()) return {};
  for (const Tokenizer* t : {task_->source_vocab(), task_->target_vocab()})
    if (const auto* sp = dynamic_cast<const SentencePieceTokenizer*>(t)) return {{kTokenizerFile, sp->serialized()}};
  return {};
}

}  // namespace torchnas

std::unique_ptr<Evaluator> make_torch_evaluator(const SearchSpace& space, const TaskOptions& task,
                                                const TrainOptions& train, const ObjectiveOptions& objective,
                                                uint64_t seed) {
  const auto* cells = dynamic_cast<const CellSpace*>(&space);
  if (!cells)
    throw Error("task.kind " + task.kind + " trains LibTorch models and needs space.kind: cells, not " + space.kind());
  return std::make_unique<torchnas::TorchEvaluator>(
      [cells](const Architecture& a) { return cells->decode(a); }, task, train, objective, seed);
}

}  // namespace mctsnas
