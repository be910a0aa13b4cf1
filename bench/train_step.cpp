// Training-step time of a searched-cell model and of the reference Transformer in
// LibTorch; bench/train_step.py times the same models in PyTorch eager with the same
// batch, shapes and precision. One step = forward, loss, backward, clip, AdamW.
//   train_step [--device cpu|cuda] [--model cell|transformer] [--d 128] [--batch 64]
//              [--len 32] [--steps 50] [--warmup 10] [--threads N]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "evaluator/torch/compat.h"
#include "evaluator/torch/foreach_adamw.h"
#include "evaluator/torch/seq_model.h"
#include "evaluator/torch/trainer.h"

using namespace mctsnas;
using namespace mctsnas::torchnas;

// The cell model mirrored in bench/train_step.py (keep the two in step).
static CellArchitecture bench_cells(int d) {
  CellArchitecture a;
  a.model = "encoder_decoder";
  a.d_model = d;
  a.encoder_layers = 2;
  a.decoder_layers = 2;
  a.encoder.nodes = {CellNode{{{0, "conv5"}, {1, "local_attention_w8"}}}, CellNode{{{2, "ffn"}}}};
  a.decoder.nodes = {CellNode{{{0, "causal_conv3"}}}, CellNode{{{2, "cross_attention"}}}, CellNode{{{3, "ffn"}}}};
  return a;
}

int main(int argc, char** argv) {
  std::string device_name = "cpu", model = "cell";
  int d = 128, batch = 64, len = 32, steps = 50, warmup = 10, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--device") device_name = v;
    else if (k == "--model") model = v;
    else if (k == "--d") d = std::atoi(v.c_str());
    else if (k == "--batch") batch = std::atoi(v.c_str());
    else if (k == "--len") len = std::atoi(v.c_str());
    else if (k == "--steps") steps = std::atoi(v.c_str());
    else if (k == "--warmup") warmup = std::atoi(v.c_str());
    else if (k == "--threads") threads = std::atoi(v.c_str());
    else { std::fprintf(stderr, "train_step: unknown flag %s\n", k.c_str()); return 2; }
  }
  if (threads > 0) torch::set_num_threads(threads);
  const bool cuda = device_name == "cuda";
  if (cuda && !torch::cuda::is_available()) { std::fprintf(stderr, "train_step: no CUDA device\n"); return 2; }
  torch::Device device = cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  const int64_t src_vocab = 257, tgt_vocab = 42;

  torch::manual_seed(0);
  ModelSpec spec;
  spec.arch = bench_cells(d);
  spec.transformer_baseline = model == "transformer";
  auto m = build_model(spec, {src_vocab, tgt_vocab, 0, len});
  m->to(device);
  m->train();
  auto params = m->parameters();
  ForeachAdamW opt(params, AdamWSettings{});   // weight_decay 0.01, as in the trainer
  auto src = torch::randint(1, src_vocab, {batch, len}, torch::kLong).to(device);
  auto tgt = torch::randint(1, tgt_vocab, {batch, len + 1}, torch::kLong).to(device);
  auto tin = tgt.slice(1, 0, len).contiguous(), tout = tgt.slice(1, 1).contiguous();
  auto src_pad = src.eq(0), tgt_pad = tin.eq(0);

  torch::Tensor loss;
  auto step = [&] {
    {
      torchc::AutocastGuard autocast(cuda);
      auto logits = m->decode(tin, tgt_pad, m->encode(src, src_pad), src_pad);
      loss = torch::nn::functional::cross_entropy(logits.reshape({-1, tgt_vocab}).to(torch::kFloat), tout.reshape({-1}));
    }
    opt.zero_grad();
    loss.backward();
    clip_gradients(params, 1.0);
    opt.step(1e-3);
  };
  for (int i = 0; i < warmup; ++i) step();
  torchc::sync(loss);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  torchc::sync(loss);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps;
  std::printf("impl=libtorch-%s device=%s model=%s d=%d batch=%d len=%d params=%lld threads=%d step_ms=%.3f loss=%.4f\n",
              TORCH_VERSION, device_name.c_str(), model.c_str(), d, batch, len,
              static_cast<long long>(m->num_parameters()), torch::get_num_threads(), ms, loss.item<double>());
  return 0;
}
