#include <catch2/catch.hpp>

#include <vector>

#include "common/rng.h"
#include "search/mcts_node.h"

using namespace mctsnas;

TEST_CASE("MCTS node stays within one cache line", "[mcts_node]") {
  STATIC_REQUIRE(sizeof(Node) <= 64);
}

TEST_CASE("ChoiceTable: bit-packed rows read back exactly", "[mcts_node]") {
  Rng rng(12);
  struct Case {
    size_t decisions, most, bits;
  };
  for (const Case& c : {Case{6, 5, 3}, Case{1, 1, 1}, Case{7, 2, 1}, Case{16, 8, 3}, Case{5, 9, 4},
                        Case{3, 300, 9}, Case{4, 65536, 16}}) {
    INFO("decisions " << c.decisions << " most " << c.most);
    ChoiceTable t;
    t.init(c.decisions, c.most);
    CHECK(t.bytes_per_node() == (c.decisions * c.bits + 7) / 8);
    std::vector<std::vector<Choice>> rows;
    for (int r = 0; r < 50; ++r) {
      std::vector<Choice> row(c.decisions);
      for (auto& x : row) x = static_cast<Choice>(r == 0 ? c.most - 1 : rng.below(c.most));  // row 0: all maximal
      t.append(row);
      rows.push_back(row);
    }
    CHECK(t.bytes() == 50 * t.bytes_per_node());
    std::vector<Choice> got(c.decisions);
    for (uint32_t r = 0; r < rows.size(); ++r) {
      t.get(r, got.data());
      CHECK(got == rows[r]);
    }
    ChoiceTable u;
    u.init(c.decisions, c.most);
    CHECK_FALSE(u.set_raw(std::vector<uint8_t>(t.bytes() + 1), 50));
    REQUIRE(u.set_raw(t.raw(), 50));
    u.get(49, got.data());
    CHECK(got == rows[49]);
  }
}
TEST_CASE("NodeIndex: open addressing keyed by the node's key", "[mcts_node]") {
  std::vector<Node> nodes;
  NodeIndex index;
  for (uint64_t k = 1; k <= 1000; ++k) {
    Node n;
    n.key = k * 0x9e3779b97f4a7c15ULL;
    nodes.push_back(n);
    index.insert(n.key, static_cast<uint32_t>(nodes.size() - 1), nodes);
  }
  CHECK(index.count() == 1000);
  CHECK(index.slots().size() * 3 >= index.count() * 4);  // load <= 3/4
  for (uint32_t i = 0; i < nodes.size(); ++i) CHECK(index.find(nodes[i].key, nodes) == i);
  CHECK(index.find(12345, nodes) == NodeIndex::kNone);
  NodeIndex copy;
  REQUIRE(copy.set_slots(index.slots(), nodes.size()));
  CHECK(copy.find(nodes[500].key, nodes) == 500);
  CHECK_FALSE(copy.set_slots(std::vector<uint32_t>(3, 0), nodes.size()));  // not a power of two
  CHECK_FALSE(copy.set_slots(std::vector<uint32_t>(4, 2000), nodes.size()));  // past the nodes
}
