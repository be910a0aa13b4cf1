// The reference Transformer sized to the winner's parameter count
// (evaluator/torch/baseline_model.h).
#include <torch/torch.h>

#include <cstdlib>

#include "evaluator/torch/baseline_model.h"

#undef CHECK   // LibTorch 2.x defines a glog-style CHECK: Catch's comes last
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;

namespace {

Cell one_node(const std::string& op) {
  Cell c;
  c.nodes.push_back({{{0, op}}});
  c.combine = "sum";
  return c;
}

CellArchitecture arch(const std::string& model, int d, int enc, int dec) {
  CellArchitecture a;
  a.model = model;
  a.d_model = d;
  a.encoder_layers = enc;
  a.decoder_layers = dec;
  if (enc > 0) a.encoder = one_node("conv5");
  if (dec > 0) a.decoder = one_node(model == "encoder_decoder" ? "cross_attention" : "causal_conv3");
  return a;
}

int64_t params(const ModelSpec& s, const ModelShape& shape) { return build_model(s, shape)->num_parameters(); }

}  // namespace

TEST_CASE("the reference Transformer has about the winner's parameter count", "[torch][baseline]") {
  struct Case {
    CellArchitecture winner;
    ModelShape shape;
  };
  const Case cases[] = {
      {arch("encoder_decoder", 32, 1, 1), {30, 20, 0, 16}},   // quickstart-sized G2P
      {arch("encoder_decoder", 64, 2, 2), {30, 20, 0, 24}},
      {arch("decoder_only", 96, 0, 3), {0, 258, 0, 64}},       // a byte LM
      {arch("encoder_only", 48, 2, 0), {258, 0, 2, 32}},       // a classifier
  };
  for (const Case& c : cases) {
    INFO(c.winner.model << " d_model " << c.winner.d_model);
    const BaselineSize b = param_matched_baseline(c.winner, c.shape);
    ModelSpec w;
    w.arch = c.winner;
    CHECK(b.target_params == params(w, c.shape));
    CHECK(b.spec.transformer_baseline);
    CHECK(b.spec.arch.encoder_layers == c.winner.encoder_layers);
    CHECK(b.spec.arch.decoder_layers == c.winner.decoder_layers);
    CHECK(b.spec.arch.d_model % b.spec.baseline_heads == 0);
    CHECK(b.params == params(b.spec, c.shape));
    // Within 5% from width 40 up (one step of 2 is ~4/d of the count), within 10% below.
    const double tolerance = b.spec.arch.d_model >= 40 ? 0.05 : 0.10;
    CHECK(std::abs(static_cast<double>(b.params - b.target_params)) <= tolerance * static_cast<double>(b.target_params));
    // No other width comes closer (the quadratic's solution is the right one).
    for (int d : {b.spec.arch.d_model - 2, b.spec.arch.d_model + 2}) {
      ModelSpec o = b.spec;
      o.arch.d_model = d;
      o.baseline_heads = d % 4 == 0 ? 4 : 2;
      CHECK(std::llabs(params(o, c.shape) - b.target_params) >= std::llabs(b.params - b.target_params));
    }
  }
}
