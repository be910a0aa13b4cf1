// Op modules: shapes, and that causal ops never read the future.
#include <torch/torch.h>

#include "common/error.h"
#include "evaluator/torch/op_modules.h"

// LibTorch 2.x (c10/util/Logging.h) defines a glog-style CHECK that would shadow
// Catch's: include Catch last, after dropping it.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;

namespace {

const char* kCausalOps[] = {"causal_conv3", "causal_conv5", "causal_sep_conv5", "causal_dilated_conv3_d4",
                            "causal_local_attention_w8", "causal_local_attention_w4_h2", "glu", "ffn",
                            "identity", "zero"};
const char* kEncoderOps[] = {"conv3", "conv5", "sep_conv3", "dilated_conv3", "dilated_conv5_d4",
                             "local_attention_w8", "glu", "ffn", "identity", "zero"};

std::shared_ptr<OpModuleImpl> op(const std::string& name, bool decoder, int64_t d = 16) {
  auto spec = parse_op(name);
  REQUIRE(spec);
  return make_op(*spec, d, decoder, true);
}

}  // namespace

TEST_CASE("every op maps [B, T, D] to [B, T, D]", "[torch][ops]") {
  torch::manual_seed(1);
  OpContext ctx;
  ctx.memory = torch::randn({2, 7, 16});
  for (const char* name : kEncoderOps) {
    INFO(name);
    auto y = op(name, false)->forward(torch::randn({2, 11, 16}), ctx);
    CHECK(y.sizes() == torch::IntArrayRef({2, 11, 16}));
  }
  for (const char* name : {"cross_attention", "cross_attention_w8"}) {
    INFO(name);
    auto y = op(name, true)->forward(torch::randn({2, 11, 16}), ctx);
    CHECK(y.sizes() == torch::IntArrayRef({2, 11, 16}));
  }
}

TEST_CASE("causal ops: output at t does not change when inputs after t change", "[torch][ops]") {
  torch::manual_seed(2);
  const int64_t t = 12, cut = 5;
  OpContext ctx;
  ctx.memory = torch::randn({2, 9, 16});
  std::vector<std::string> names(std::begin(kCausalOps), std::end(kCausalOps));
  names.push_back("cross_attention");      // reads the encoder only
  names.push_back("cross_attention_w4");
  for (const auto& name : names) {
    INFO(name);
    auto m = op(name, true);
    auto x = torch::randn({2, t, 16});
    auto x2 = x.clone();
    x2.slice(1, cut + 1) = torch::randn({2, t - cut - 1, 16}) * 5;
    auto y = m->forward(x, ctx), y2 = m->forward(x2, ctx);
    CHECK(torch::allclose(y.slice(1, 0, cut + 1), y2.slice(1, 0, cut + 1), 1e-5, 1e-6));
  }
}

TEST_CASE("non-causal sequence ops do read the future (the causality test can fail)", "[torch][ops]") {
  torch::manual_seed(3);
  for (const char* name : {"conv3", "sep_conv5", "dilated_conv3", "local_attention_w8"}) {
    INFO(name);
    auto m = op(name, false);
    auto x = torch::randn({1, 10, 16});
    auto x2 = x.clone();
    x2.slice(1, 5) = 3.0;
    CHECK_FALSE(torch::allclose(m->forward(x, {}).slice(1, 0, 5), m->forward(x2, {}).slice(1, 0, 5)));
  }
}

TEST_CASE("a non-causal sequence op is refused in a decoder", "[torch][ops]") {
  auto spec = parse_op("conv3");
  REQUIRE(spec);
  CHECK_THROWS_AS(make_op(*spec, 16, true, true), Error);
  auto cross = parse_op("cross_attention");
  REQUIRE(cross);
  CHECK_THROWS_AS(make_op(*cross, 16, true, false), Error);   // decoder_only: no encoder
}

TEST_CASE("local attention reads only its window", "[torch][ops]") {
  torch::manual_seed(4);
  auto m = op("local_attention_w4", false);
  auto x = torch::randn({1, 16, 16});
  auto x2 = x.clone();
  x2.slice(1, 12) = 7.0;   // positions 12.. are more than w/2 = 2 away from 0..9
  CHECK(torch::allclose(m->forward(x, {}).slice(1, 0, 10), m->forward(x2, {}).slice(1, 0, 10), 1e-5, 1e-6));
}

TEST_CASE("padding does not leak into real positions of an encoder conv", "[torch][ops]") {
  torch::manual_seed(5);
  auto m = op("conv5", false);
  auto x = torch::randn({1, 8, 16});
  auto x2 = x.clone();
  x2.slice(1, 6) = 9.0;   // positions 6, 7 are padding
  OpContext ctx;
  ctx.pad = torch::zeros({1, 8}, torch::kBool);
  ctx.pad.slice(1, 6) = true;
  CHECK(torch::allclose(m->forward(x, ctx).slice(1, 0, 6), m->forward(x2, ctx).slice(1, 0, 6), 1e-5, 1e-6));
}

TEST_CASE("op FLOP estimates grow with kernel and window", "[torch][ops]") {
  auto f = [](const char* n, int64_t t) { return op_flops(*parse_op(n), 64, t, t); };
  CHECK(f("conv5", 32) > f("conv3", 32));
  CHECK(f("sep_conv5", 32) < f("conv5", 32));
  CHECK(f("local_attention_w16", 64) > f("local_attention_w8", 64));
  CHECK(f("identity", 32) == 0);
  CHECK(f("ffn", 32) == Approx(2.0 * 32 * 64 * 256 * 2));
}
