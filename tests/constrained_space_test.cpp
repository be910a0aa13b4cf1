// ConstrainedSpace (space/constrained_space.h): its architectures are exactly those
// within the bounds (brute force on a small cells space), an unreachable bound is a
// one-line error naming it and the smallest value, its size is counted or estimated
// (and says which), and every registered searcher, MCTS in both tree shapes, proposes
// only architectures within a tight max_params on the cells space and on a table's
// cost column.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "app/config_loader.h"
#include "app/cost_constraints.h"
#include "evaluator/table_cost.h"
#include "search/search_options.h"
#include "search/searcher_registry.h"
#include "search_test_util.h"
#include "space/cell_cost.h"
#include "space/constrained_space.h"
#include "space/nb201_space.h"
#include "test_util.h"

using namespace mctsnas;

namespace {

ModelDims g2p_dims(int64_t len) { return {257, 42, 0, len, len, len}; }

CellSpaceOptions small_options() {
  CellSpaceOptions o;
  o.encoder = {2, {"conv3", "identity", "zero"}, CellCombine::concat};
  o.decoder = {1, {"causal_conv3", "cross_attention", "zero"}, CellCombine::sum};
  o.macro = {{16, 32}, {1, 2}, {1}};
  return o;
}

std::set<Architecture> all_of(const SearchSpace& s) {
  const auto all = testing::all_architectures(s);
  return {all.begin(), all.end()};
}

// The params of n random architectures of the space, smallest first.
std::vector<double> sorted_random_params(const CellSpace& space, const CellCostModel& model, int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> costs;
  for (int i = 0; i < n; ++i) costs.push_back(model.cost(CostKind::params, space.random(rng).choices));
  std::sort(costs.begin(), costs.end());
  return costs;
}

double median_cost(const CostModel& m, CostKind k, const std::set<Architecture>& archs) {
  std::vector<double> v;
  for (const auto& a : archs) v.push_back(m.lower_bound(k, a.choices));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Each searcher of the registry, MCTS in both tree shapes, built as a run builds it.
std::vector<std::pair<std::string, SearchOptions>> every_searcher() {
  std::vector<std::pair<std::string, SearchOptions>> out;
  for (const SearcherInfo* s : searchers()) {
    std::vector<std::string> variants = {""};
    if (s->name == "mcts") variants = {", mcts: {tree: edit}", ", mcts: {tree: prefix}"};
    for (const auto& v : variants) {
      RunOptions o = load_config_text("task: {table: t.csv}\nsearch: {algorithm: " + std::string(s->name) + v + "}\n",
                                      "s.yaml");
      out.emplace_back(std::string(s->name) + v, o.search);
    }
  }
  return out;
}

// 48 proposals (12 rounds of 4) of every searcher, each within `bound`.
void check_searchers_within(const SearchSpace& constrained, const CostModel& m, CostKind k, double bound) {
  for (const auto& [name, options] : every_searcher()) {
    INFO(name);
    auto searcher = make_searcher(options, constrained, 11);
    const auto props = testing::drive(*searcher, 12, 4);
    CHECK(props.size() >= 40);
    for (const auto& p : props) CHECK(m.lower_bound(k, p.arch.choices) <= bound);
  }
}

}  // namespace

TEST_CASE("constrained space: exactly the architectures within the bounds", "[constraints]") {
  CellSpace space(small_options());
  CellCostModel model(space, g2p_dims(24));
  const auto archs = all_of(space);
  const CostBounds one{median_cost(model, CostKind::params, archs), {}};
  const CostBounds both{one.max_params, median_cost(model, CostKind::flops, archs)};
  for (const CostBounds& b : {one, both}) {
    ConstrainedSpace c(space, model, b);
    std::set<Architecture> expected;
    for (const auto& a : archs)
      if (model.cost(CostKind::params, a.choices) <= *b.max_params &&
          (!b.max_flops || model.cost(CostKind::flops, a.choices) <= *b.max_flops))
        expected.insert(a);
    REQUIRE(!expected.empty());
    CHECK(all_of(c) == expected);
    const SpaceSize size = c.size();
    CHECK(size.exact);
    CHECK(size.count == static_cast<double>(expected.size()));
    Rng rng(2);
    for (int i = 0; i < 100; ++i) CHECK(expected.count(c.random(rng)) == 1);
    for (const Architecture& a : std::vector<Architecture>(expected.begin(), std::next(expected.begin(), 20))) {
      std::vector<Architecture> want;
      for (const auto& n : space.neighbours(a))
        if (expected.count(n)) want.push_back(n);
      CHECK(c.neighbours(a) == want);
    }
  }
}

TEST_CASE("constrained space: a bound no architecture meets is one line naming it and the smallest", "[constraints]") {
  CellSpace space(small_options());
  CellCostModel model(space, g2p_dims(24));
  bool exact = false;
  const double least = smallest_cost(space, model, CostKind::params, exact);
  REQUIRE(exact);
  const std::string least_text = std::to_string(static_cast<int64_t>(least));
  CHECK_THROWS_WITH(ConstrainedSpace(space, model, CostBounds{least - 1, {}}),
                    "objective.constraints.max_params: " + std::to_string(static_cast<int64_t>(least - 1)) +
                        " is below the smallest architecture of the space (" + least_text +
                        " params); no architecture meets it");
  CHECK_THROWS_WITH(ConstrainedSpace(space, model, CostBounds{{}, 1.0}),
                    Catch::StartsWith("objective.constraints.max_flops: 1 is below the smallest architecture"));
  ConstrainedSpace at_least(space, model, CostBounds{least, {}});
  CHECK(at_least.size().count >= 1);
}

TEST_CASE("constrained space: a large space's size is an estimate, and says so", "[constraints]") {
  CellSpace space(test::seq2seq_cell_options());
  CellCostModel model(space, g2p_dims(32));
  ConstrainedSpace c(space, model, CostBounds{sorted_random_params(space, model, 200, 1)[20], {}});
  const SpaceSize size = c.size();
  CHECK_FALSE(size.exact);
  CHECK(size.walks > 0);
  CHECK(size.count > 0);
  CHECK(size.count < space.size().count);
}

TEST_CASE("constrained search: every searcher proposes only within a tight max_params (cells)", "[constraints]") {
  CellSpace space(test::seq2seq_cell_options());
  CellCostModel model(space, g2p_dims(32));
  const double bound = sorted_random_params(space, model, 400, 9)[8];   // about 2% of random architectures meet it
  ConstrainedSpace c(space, model, CostBounds{bound, {}});
  check_searchers_within(c, model, CostKind::params, bound);
}

TEST_CASE("constrained search: a table's cost column bounds every searcher (NB201)", "[constraints]") {
  test::TempDir dir;
  Nb201Space space;
  // A cost per architecture: the sum of its edges' op indices.
  std::string csv = "arch,test_accuracy,params\n";
  int rows = 0;
  for (int i = 0; i < 15625; ++i) {
    Architecture a;
    int x = i, cost = 0;
    for (int e = 0; e < 6; ++e, x /= 5) {
      a.choices.push_back(static_cast<Choice>(x % 5));
      cost += x % 5;
    }
    csv += space.key(a) + "," + std::to_string(50 + i % 37) + "," + std::to_string(cost) + "\n";
    rows += cost <= 8;
  }
  const auto path = dir.write("t.csv", csv);
  TableCostModel model(space, path, "arch", CostColumns{"params", ""});
  CHECK(model.knows(CostKind::params));
  CHECK_FALSE(model.knows(CostKind::flops));
  ConstrainedSpace c(space, model, CostBounds{8.0, {}});
  CHECK(c.size().exact);
  CHECK(c.size().count == rows);
  check_searchers_within(c, model, CostKind::params, 8.0);
  CHECK_THROWS_WITH(TableCostModel(space, path, "arch", CostColumns{"param", ""}),
                    Catch::Contains("no task.cost_columns.params column 'param' in the header") &&
                        Catch::Contains("did you mean 'params'?"));
  const auto bad = dir.write("bad.csv", "arch,params\n" + space.key(Architecture{{0, 0, 0, 0, 0, 0}}) + ",-3\n");
  CHECK_THROWS_WITH(TableCostModel(space, bad, "arch", CostColumns{"params", ""}),
                    bad.string() + ":2: params '-3' in column 'params' is not a number >= 0");
}

TEST_CASE("constraints config: max_params and max_flops need a cost model", "[constraints]") {
  CHECK_THROWS_WITH(load_config_text("task: {table: t.csv}\nobjective: {constraints: {max_params: 10}}\n", "c.yaml"),
                    Catch::Contains("objective.constraints.max_params") &&
                        Catch::Contains("name it in task.cost_columns.params"));
  CHECK_THROWS_WITH(load_config_text("task: {kind: g2p, cost_columns: {params: p}}\n", "c.yaml"),
                    Catch::Contains("task.cost_columns") && Catch::Contains("only a table task"));
  RunOptions o = load_config_text(
      "task: {table: t.csv, cost_columns: {flops: f}}\nobjective: {constraints: {max_flops: 3.5e6}}\n", "c.yaml");
  CHECK(o.objective.constraints.max_flops == 3.5e6);
  CHECK(o.task.cost_columns.flops == "f");
}
