// GPU path: bf16 autocast training and CUDA metrics. Skips with a message where
// LibTorch sees no CUDA device (every CPU-only machine, CI included).
#include <torch/torch.h>

#include "evaluator/torch/torch_evaluator.h"
#include "evaluator/torch/trainer.h"

// LibTorch 2.x (c10/util/Logging.h) defines a glog-style CHECK that would shadow
// Catch's: include Catch last, after dropping it.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;

TEST_CASE("G2P trial trains in bf16 on the GPU", "[gpu][torch]") {
  if (!torch::cuda::is_available()) {
    WARN("skipped: no CUDA device visible to LibTorch");
    return;
  }
  CHECK(use_bf16("auto", torch::Device(torch::kCUDA, 0)));
  TaskOptions task;
  task.kind = "g2p";
  task.data = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples";
  TrainOptions t;
  t.steps = 200;
  t.batch_size = 64;
  t.lr = 2e-3;
  t.eval_every = 100;
  CellArchitecture a;
  a.d_model = 128;
  a.encoder_layers = 2;
  a.decoder_layers = 2;
  a.encoder.nodes = {CellNode{{{0, "conv5"}, {1, "local_attention_w8"}}}, CellNode{{{2, "ffn"}}}};
  a.decoder.nodes = {CellNode{{{0, "causal_conv3"}}}, CellNode{{{2, "cross_attention"}}}, CellNode{{{3, "glu"}}}};
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
