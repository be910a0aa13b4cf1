// GPU path: bf16 autocast training, CUDA metrics, the per-trial GPU memory cap and the
// multi-tensor gradient clipping. Skips (the CUDA parts) with a message where LibTorch
// sees no CUDA device (every CPU-only machine, CI included).
#include <torch/torch.h>

#include <cmath>

#include "evaluator/torch/torch_evaluator.h"
#include "evaluator/torch/trainer.h"

// LibTorch 2.x (c10/util/Logging.h) defines a glog-style CHECK that would shadow
// Catch's: include Catch last, after dropping it.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;

namespace {

// The shipped CMUdict sample, and a small encoder-decoder cell model on it.
TaskOptions g2p_sample_task() {
  TaskOptions task;
  task.kind = "g2p";
  task.data = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples";
  return task;
}

CellArchitecture small_g2p_cells() {
  CellArchitecture a;
  a.d_model = 128;
  a.encoder_layers = 2;
  a.decoder_layers = 2;
  a.encoder.nodes = {CellNode{{{0, "conv5"}, {1, "local_attention_w8"}}}, CellNode{{{2, "ffn"}}}};
  a.decoder.nodes = {CellNode{{{0, "causal_conv3"}}}, CellNode{{{2, "cross_attention"}}}, CellNode{{{3, "glu"}}}};
  return a;
}

}  // namespace

TEST_CASE("G2P trial trains in bf16 on the GPU", "[gpu][torch]") {
  if (!torch::cuda::is_available()) {
    WARN("skipped: no CUDA device visible to LibTorch");
    return;
  }
  CHECK(use_bf16(Precision::automatic, torch::Device(torch::kCUDA, 0)));
  const TaskOptions task = g2p_sample_task();
  TrainOptions t;
  t.steps = 200;
  t.batch_size = 64;
  t.lr = 2e-3;
  t.eval_every = 100;
  const CellArchitecture a = small_g2p_cells();
  TorchEvaluator ev([a](const Architecture&) { return a; }, task, t, {}, 1);
  TrialBudget budget;
  budget.gpu = 0;
  auto r = ev.evaluate(Architecture{{0}}, budget, StopToken{});
  INFO(r.error);
  REQUIRE(r.status == TrialStatus::ok);
  CHECK(r.metrics.at("bf16") == 1);
  CHECK(r.metrics.at("gpu_peak_allocated_bytes") > 0);
  CHECK(r.score < 0.9);
  WARN("GPU G2P trial: val_per " << r.score << ", train " << r.metrics.at("train_seconds") << " s, latency b1 "
                                 << r.metrics.at("latency_ms_b1") << " ms, b32 " << r.metrics.at("latency_ms_b32")
                                 << " ms, peak " << r.metrics.at("gpu_peak_allocated_bytes") / 1048576 << " MiB");
}

TEST_CASE("a GPU memory cap ends a trial that exceeds it as oom_gpu; one within its cap is ok", "[gpu][torch]") {
  if (!torch::cuda::is_available()) {
    WARN("skipped: no CUDA device visible to LibTorch");
    return;
  }
  const TaskOptions task = g2p_sample_task();
  TrainOptions t;
  t.steps = 20;
  t.batch_size = 64;
  t.eval_every = 20;
  const CellArchitecture a = small_g2p_cells();
  TorchEvaluator ev([a](const Architecture&) { return a; }, task, t, {}, 1);

  // The same trial twice: first with a cap far below what it needs (its parameters,
  // gradients and AdamW state alone take ~18 MiB), then with room to spare. The
  // second trial runs in the same process after the first one's out-of-memory error.
  TrialBudget tight;
  tight.gpu = 0;
  tight.gpu_mem_bytes = int64_t{16} << 20;
  auto over = ev.evaluate(Architecture{{0}}, tight, StopToken{});
  INFO(over.error);
  CHECK(over.status == TrialStatus::oom_gpu);
  CHECK(over.error.find("out of memory") != std::string::npos);
  CHECK(over.metrics.at("gpu_mem_cap_bytes") == double(tight.gpu_mem_bytes));

  TrialBudget roomy = tight;
  roomy.gpu_mem_bytes = int64_t{1} << 30;
  auto ok = ev.evaluate(Architecture{{0}}, roomy, StopToken{});
  INFO(ok.error);
  REQUIRE(ok.status == TrialStatus::ok);
  const double peak = ok.metrics.at("gpu_peak_allocated_bytes");
  CHECK(peak > double(tight.gpu_mem_bytes));   // the tight cap really was too small
  CHECK(peak <= double(roomy.gpu_mem_bytes));
  WARN("GPU memory cap: 16 MiB -> " << to_string(over.status) << "; 1 GiB -> ok with peak " << peak / 1048576
                                    << " MiB (fraction " << ok.metrics.at("gpu_mem_fraction") << ")");

  // No cap again for whatever runs next in this process.
  TrialBudget uncapped;
  uncapped.gpu = 0;
  auto free_run = ev.evaluate(Architecture{{0}}, uncapped, StopToken{});
  CHECK(free_run.status == TrialStatus::ok);
  CHECK(free_run.metrics.count("gpu_mem_cap_bytes") == 0);
}

TEST_CASE("clip_gradients scales all gradients to the global norm (CPU, and CUDA where present)", "[gpu][torch]") {
  std::vector<torch::Device> devices{torch::kCPU};
  if (torch::cuda::is_available()) devices.emplace_back(torch::kCUDA, 0);
  else WARN("CUDA part skipped: no CUDA device visible to LibTorch");
  for (const auto& dev : devices) {
    torch::manual_seed(3);
    std::vector<torch::Tensor> params;
    for (int64_t n : {7, 300, 5000}) {
      auto p = torch::zeros({n}, torch::TensorOptions().device(dev).requires_grad(true));
      p.mutable_grad() = torch::randn({n}, torch::TensorOptions().device(dev));
      params.push_back(p);
    }
    params.push_back(torch::zeros({3}, torch::TensorOptions().device(dev).requires_grad(true)));   // no grad
    std::vector<torch::Tensor> before;
    double sq = 0;
    for (size_t i = 0; i + 1 < params.size(); ++i) {
      before.push_back(params[i].grad().clone());
      sq += params[i].grad().pow(2).sum().item<double>();
    }
    const double norm = std::sqrt(sq);
    REQUIRE(norm > 2.0);
    clip_gradients(params, 2.0);
    double after = 0;
    for (size_t i = 0; i + 1 < params.size(); ++i) {
      after += params[i].grad().pow(2).sum().item<double>();
      CHECK(torch::allclose(params[i].grad(), before[i] * (2.0 / (norm + 1e-6)), 1e-5, 1e-6));
    }
    CHECK(std::sqrt(after) == Approx(2.0).epsilon(1e-5));
    CHECK_FALSE(params.back().grad().defined());
    // Below the bound: unchanged.
    clip_gradients(params, 10 * norm);
    for (size_t i = 0; i + 1 < params.size(); ++i)
      CHECK(torch::allclose(params[i].grad(), before[i] * (2.0 / (norm + 1e-6)), 1e-5, 1e-6));
  }
}
