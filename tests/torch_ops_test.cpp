// Op modules, one behaviour at a time: refusals, windows, padding.
// Shape, causality, FLOPs and export parity of every op: torch_op_table_test.cpp.
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

std::shared_ptr<OpModuleImpl> op(const std::string& name, bool decoder, int64_t d = 16) {
  auto spec = parse_op(name);
  REQUIRE(spec);
  return make_op(*spec, d, decoder, true);
}

}  // namespace

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
