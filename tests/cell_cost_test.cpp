// CellCostModel (space/cell_cost.h): the op table's parameter formulas, lower bounds
// that never pass the exact cost of any completion and equal it at the end, and a
// smallest cost that is the true minimum (brute force over small spaces). That the
// costs equal what the LibTorch builder reports is tests/torch_cost_test.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include "common/rng.h"
#include "space/cell_cost.h"
#include "space/constrained_space.h"
#include "search_test_util.h"
#include "space/ops.h"
#include "test_util.h"

using namespace mctsnas;

namespace {

ModelDims g2p_dims(int64_t len) { return {257, 42, 0, len, len, len}; }

// Encoder ops with cost 0 (identity) and a decoder that must attend to the encoder:
// both make the cheapest completion differ from the cheapest op per node.
CellSpaceOptions small_options(CellCombine combine) {
  CellSpaceOptions o;
  o.encoder = {2, {"conv3", "identity", "zero"}, combine};
  o.decoder = {1, {"causal_conv3", "cross_attention", "zero"}, combine};
  o.macro = {{16, 32}, {1, 2}, {1}};
  return o;
}

// Every prefix's bound is at most the architecture's cost, and the whole's is the cost.
void check_bounds(const CellCostModel& m, const Architecture& a) {
  for (CostKind k : kCostKinds) {
    const double cost = m.cost(k, a.choices);
    CHECK(cost > 0);
    CHECK(m.lower_bound(k, a.choices) == cost);
    for (size_t p = 0; p < a.choices.size(); ++p) CHECK(m.lower_bound(k, std::span(a.choices.data(), p)) <= cost);
  }
}

}  // namespace

TEST_CASE("op params: weights and biases of each op kind's module", "[cost]") {
  auto params = [](const char* name) { return op_params(*parse_op(name), 8); };
  CHECK(params("conv3") == 3 * 64 + 8);
  CHECK(params("dilated_conv3_d4") == 3 * 64 + 8);
  CHECK(params("causal_conv5") == 5 * 64 + 8);
  CHECK(params("sep_conv5") == (5 * 8 + 8) + (64 + 8));
  CHECK(params("local_attention_w8") == 4 * 64 + 4 * 8);
  CHECK(params("cross_attention_w8_h2") == 4 * 64 + 4 * 8);
  CHECK(params("glu") == 2 * 64 + 2 * 8);
  CHECK(params("ffn") == 8 * 64 + 5 * 8);
  CHECK(params("identity") == 0);
  CHECK(params("zero") == 0);
}

TEST_CASE("cell cost: bounds hold for every prefix and are exact at the end", "[cost]") {
  for (CellCombine combine : {CellCombine::sum, CellCombine::concat}) {
    INFO(name_of(combine));
    CellSpace space(small_options(combine));
    CellCostModel model(space, g2p_dims(24));
    const auto archs = testing::all_architectures(space);
    REQUIRE(archs.size() > 1000);
    for (const auto& a : archs) check_bounds(model, a);
  }
  CellSpace big(test::seq2seq_cell_options());
  CellCostModel model(big, g2p_dims(32));
  Rng rng(3);
  for (int i = 0; i < 300; ++i) check_bounds(model, big.random(rng));
}

TEST_CASE("cell cost: concat adds its projection, one per open node, only over several", "[cost]") {
  CellSpace sum(small_options(CellCombine::sum)), concat(small_options(CellCombine::concat));
  CellCostModel ms(sum, g2p_dims(24)), mc(concat, g2p_dims(24));
  int differ = 0;
  for (const auto& a : testing::all_architectures(sum)) {
    const double extra = mc.cost(CostKind::params, a.choices) - ms.cost(CostKind::params, a.choices);
    const int64_t d = a.choices[0] == 0 ? 16 : 32;
    // Two open encoder nodes (nothing reads n0) add 2 d^2 + d per encoder layer; the
    // decoder likewise; one open node adds nothing.
    CHECK((extra == 0 || static_cast<int64_t>(extra) % (2 * d * d + d) == 0));
    differ += extra > 0;
  }
  CHECK(differ > 0);
}

TEST_CASE("smallest_cost: branch and bound finds the minimum over the space", "[cost]") {
  for (CellCombine combine : {CellCombine::sum, CellCombine::concat}) {
    CellSpace space(small_options(combine));
    CellCostModel model(space, g2p_dims(24));
    const auto archs = testing::all_architectures(space);
    for (CostKind k : kCostKinds) {
      INFO(name_of(combine) << " " << cost_name(k));
      double brute = std::numeric_limits<double>::infinity();
      for (const auto& a : archs) brute = std::min(brute, model.cost(k, a.choices));
      bool exact = false;
      CHECK(smallest_cost(space, model, k, exact) == brute);
      CHECK(exact);
    }
  }
  CellSpace big(test::seq2seq_cell_options());
  CellCostModel model(big, g2p_dims(32));
  Rng rng(5);
  double sampled = std::numeric_limits<double>::infinity();
  for (int i = 0; i < 200; ++i) sampled = std::min(sampled, model.cost(CostKind::params, big.random(rng).choices));
  bool exact = false;
  const double least = smallest_cost(big, model, CostKind::params, exact);
  CHECK(exact);
  CHECK(least <= sampled);
}
