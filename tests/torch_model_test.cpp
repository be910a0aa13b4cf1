// Models assembled from cells: kinds, causality end to end, params/FLOPs, overfitting
// a tiny batch, determinism, weights round trip, the reference Transformer.
#include <torch/torch.h>

#include <filesystem>

#include "common/error.h"
#include "evaluator/torch/foreach_adamw.h"
#include "evaluator/torch/seq_model.h"

// LibTorch 2.x (c10/util/Logging.h) defines a glog-style CHECK that would shadow
// Catch's: include Catch last, after dropping it.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;

namespace {

Cell cell(std::initializer_list<std::vector<CellEdge>> nodes, std::string combine = "sum") {
  Cell c;
  for (const auto& n : nodes) c.nodes.push_back({n});
  c.combine = std::move(combine);
  return c;
}

ModelSpec seq2seq(int d = 32) {
  ModelSpec s;
  s.arch.model = "encoder_decoder";
  s.arch.d_model = d;
  s.arch.encoder_layers = 2;
  s.arch.decoder_layers = 2;
  s.arch.encoder = cell({{{0, "conv3"}, {1, "local_attention_w8"}}, {{2, "glu"}}, {{0, "dilated_conv3"}, {2, "ffn"}}}, "concat");
  s.arch.decoder = cell({{{0, "causal_conv3"}}, {{2, "cross_attention"}, {1, "causal_local_attention_w8"}}, {{3, "ffn"}}});
  return s;
}

ModelSpec lm(int d = 32) {
  ModelSpec s;
  s.arch.model = "decoder_only";
  s.arch.d_model = d;
  s.arch.decoder_layers = 2;
  s.arch.decoder = cell({{{0, "causal_sep_conv5"}, {1, "causal_dilated_conv3_d4"}}, {{2, "causal_local_attention_w4"}}, {{3, "glu"}, {0, "zero"}}});
  return s;
}

ModelShape g2p_shape() { return {30, 20, 0, 16}; }

}  // namespace

TEST_CASE("encoder-decoder, decoder-only and classifier models give the right shapes", "[torch][model]") {
  torch::manual_seed(0);
  auto m = build_model(seq2seq(), g2p_shape());
  auto src = torch::randint(1, 30, {3, 9}, torch::kLong);
  auto tgt = torch::randint(1, 20, {3, 7}, torch::kLong);
  auto pad = src.eq(0);
  auto logits = m->decode(tgt, tgt.eq(0), m->encode(src, pad), pad);
  CHECK(logits.sizes() == torch::IntArrayRef({3, 7, 20}));

  auto l = build_model(lm(), {0, 40, 0, 16});
  CHECK(l->decode(torch::randint(1, 40, {2, 16}, torch::kLong), torch::zeros({2, 16}, torch::kBool)).sizes() ==
        torch::IntArrayRef({2, 16, 40}));

  ModelSpec c = seq2seq();
  c.arch.model = "encoder_only";
  c.arch.decoder_layers = 0;
  c.arch.decoder = {};
  auto k = build_model(c, {50, 0, 2, 16});
  auto s2 = torch::randint(1, 50, {4, 16}, torch::kLong);
  CHECK(k->classify(s2, s2.eq(0)).sizes() == torch::IntArrayRef({4, 2}));
}

TEST_CASE("a decoder's output at t does not depend on tokens after t", "[torch][model]") {
  torch::manual_seed(1);
  for (bool baseline : {false, true}) {
    INFO("baseline " << baseline);
    auto spec = lm();
    spec.transformer_baseline = baseline;
    auto m = build_model(spec, {0, 40, 0, 16});
    m->eval();
    auto x = torch::randint(1, 40, {2, 16}, torch::kLong);
    auto x2 = x.clone();
    x2.slice(1, 9) = torch::randint(1, 40, {2, 7}, torch::kLong);
    auto nopad = torch::zeros({2, 16}, torch::kBool);
    auto y = m->decode(x, nopad), y2 = m->decode(x2, nopad);
    CHECK(torch::allclose(y.slice(1, 0, 9), y2.slice(1, 0, 9), 1e-5, 1e-6));
    CHECK_FALSE(torch::allclose(y.slice(1, 9), y2.slice(1, 9)));
  }
}

TEST_CASE("params match the module's tensors; FLOPs scale with depth and width", "[torch][model]") {
  auto a = build_model(seq2seq(32), g2p_shape());
  int64_t n = 0;
  for (const auto& p : a->parameters()) n += p.numel();
  CHECK(a->num_parameters() == n);
  auto deeper = seq2seq(32);
  deeper.arch.encoder_layers = 4;
  auto b = build_model(deeper, g2p_shape());
  CHECK(b->num_parameters() > a->num_parameters());
  CHECK(b->flops(16, 16) > a->flops(16, 16));
  CHECK(build_model(seq2seq(64), g2p_shape())->flops(16, 16) > 3 * a->flops(16, 16));
}

TEST_CASE("bad architectures are refused with an Error", "[torch][model]") {
  auto s = seq2seq();
  s.arch.decoder.nodes[0].inputs[0].op = "conv3";   // not causal
  CHECK_THROWS_AS(build_model(s, g2p_shape()), Error);
  s = seq2seq();
  s.arch.encoder.nodes[1].inputs[0].from = 7;       // reads a later node
  CHECK_THROWS_AS(build_model(s, g2p_shape()), Error);
  s = seq2seq();
  s.arch.encoder.nodes[0].inputs[0].op = "warp_drive";
  CHECK_THROWS_AS(build_model(s, g2p_shape()), Error);
  auto l = lm();
  l.arch.decoder.nodes[1].inputs[0].op = "cross_attention";   // no encoder
  CHECK_THROWS_AS(build_model(l, {0, 40, 0, 16}), Error);
}

TEST_CASE("a tiny model overfits a tiny batch", "[torch][model]") {
  torch::manual_seed(2);
  auto m = build_model(seq2seq(32), g2p_shape());
  auto src = torch::randint(1, 30, {8, 8}, torch::kLong);
  auto tgt = torch::randint(1, 20, {8, 9}, torch::kLong);
  auto in = tgt.slice(1, 0, 8), out = tgt.slice(1, 1);
  torch::optim::AdamW opt(m->parameters(), torch::optim::AdamWOptions(3e-3));
  double first = 0, last = 0;
  for (int step = 0; step < 150; ++step) {
    auto logits = m->decode(in, in.eq(0), m->encode(src, src.eq(0)), src.eq(0));
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, 20}), out.reshape({-1}));
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  INFO("loss " << first << " -> " << last);
  CHECK(first > 2.5);    // about ln(20) at the start
  CHECK(last < 0.1);
}

TEST_CASE("same seed, same model and outputs on CPU", "[torch][model]") {
  auto run = [] {
    torch::manual_seed(42);
    auto m = build_model(lm(), {0, 40, 0, 16});
    torch::optim::AdamW opt(m->parameters(), torch::optim::AdamWOptions(1e-3));
    auto x = torch::randint(1, 40, {4, 16}, torch::kLong);
    for (int i = 0; i < 5; ++i) {
      auto loss = m->decode(x, x.eq(0)).logsumexp(-1).mean();
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
    return m->decode(x, x.eq(0)).detach();
  };
  CHECK(torch::equal(run(), run()));
}

TEST_CASE("weights round trip through save/load and a mismatch is an Error", "[torch][model]") {
  torch::manual_seed(3);
  auto a = build_model(seq2seq(), g2p_shape());
  const auto path = (std::filesystem::temp_directory_path() / "mctsnas_torch_model_test.pt").string();
  save_weights(a, path);
  torch::manual_seed(4);
  auto b = build_model(seq2seq(), g2p_shape());
  load_weights(b, path);
  auto src = torch::randint(1, 30, {2, 6}, torch::kLong);
  a->eval();
  b->eval();
  CHECK(torch::equal(a->encode(src, src.eq(0)), b->encode(src, src.eq(0))));
  auto other = build_model(seq2seq(64), g2p_shape());
  CHECK_THROWS_AS(load_weights(other, path), Error);
  std::filesystem::remove(path);
}

TEST_CASE("the reference Transformer has the architecture's width and depth", "[torch][model]") {
  auto spec = seq2seq(64);
  spec.transformer_baseline = true;
  auto m = build_model(spec, g2p_shape());
  // 2 encoder layers (attn 4d^2+4d, ffn 8d^2+5d, 2 norms) + 2 decoder layers (+ cross attn, norm).
  const int64_t d = 64;
  const int64_t attn = 4 * d * d + 4 * d, ffn = 8 * d * d + 5 * d, ln = 2 * d;
  const int64_t enc = 2 * (attn + ffn + 2 * ln), dec = 2 * (2 * attn + ffn + 3 * ln);
  const int64_t emb = 30 * d + 16 * d + 20 * d + 16 * d, head = d * 20 + 20, norms = 2 * ln;
  CHECK(m->num_parameters() == enc + dec + emb + head + norms);
}

TEST_CASE("ForeachAdamW makes the same updates as torch::optim::AdamW", "[torch][model]") {
  torch::manual_seed(5);
  auto a = build_model(lm(16), {0, 40, 0, 16});
  torch::manual_seed(5);
  auto b = build_model(lm(16), {0, 40, 0, 16});
  torch::optim::AdamW ref(a->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.01));
  ForeachAdamW mine(b->parameters(), AdamWSettings{});
  auto x = torch::randint(1, 40, {4, 16}, torch::kLong);
  for (int i = 0; i < 4; ++i) {
    auto la = a->decode(x, x.eq(0)).logsumexp(-1).mean();
    ref.zero_grad();
    la.backward();
    ref.step();
    auto lb = b->decode(x, x.eq(0)).logsumexp(-1).mean();
    mine.zero_grad();
    lb.backward();
    mine.step(1e-2);
  }
  auto pa = a->parameters(), pb = b->parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) CHECK(torch::allclose(pa[i], pb[i], 1e-4, 1e-6));
}
