#include <catch2/catch.hpp>

#include <set>

#include "search/mcts.h"
#include "search/search_options.h"
#include "search_test_util.h"

using namespace mctsnas;
using namespace mctsnas::testing;

TEST_CASE("edit tree: architectures bit-packed, as many bits as the widest decision needs", "[edit_tree]") {
  for (int width : {2, 5, 8, 9, 300, 1000}) {
    TinySpace space({width, 3, width});
    Mcts m(space, MctsOptions{}, TranspositionKey::exact, 4);
    std::vector<Proposal> seen;
    for (int i = 0; i < 40; ++i) {
      auto ps = m.propose(2);
      for (auto& p : ps) {
        m.observe(p, fake_reward(p.arch));
        seen.push_back(p);
      }
    }
    INFO("width " << width);
    bool high = false;
    for (uint32_t i = 0; i < m.nodes().size(); ++i) {
      const Architecture a = m.arch_of(i);
      CHECK(space.is_legal(a));
      CHECK(m.nodes()[i].key == exact_hash(a.choices));
      high |= a.choices[0] > 255 || a.choices[2] > 255;
    }
    if (width > 256) CHECK(high);  // choices above one byte were stored and read back
    ByteWriter w;
    m.save(w);
    Mcts b(space, MctsOptions{}, TranspositionKey::exact, 4);
    ByteReader r(w.bytes(), "tree.ckpt");
    b.load(r);
    CHECK(b.dump() == m.dump());
  }
}

TEST_CASE("edit tree: children are the evaluated or unseen neighbours, not pending or failed", "[edit_tree]") {
  TinySpace space({4, 4, 4});
  MctsOptions o;
  o.initial_random = 3;
  Mcts m(space, o, TranspositionKey::exact, 6);
  drive(m, 6, 1, [](const Architecture& a) { return a.choices[2] == 1; });
  auto pending = m.propose(2);
  REQUIRE(m.best_node());
  const uint32_t root = *m.best_node();
  const Architecture at = m.arch_of(root);
  size_t evaluated = 0;
  std::set<uint32_t> slots;
  const auto kids = m.child_scores(root);
  double prior_sum = 0;
  for (const ScoredChild& k : kids) {
    CHECK(slots.insert(k.slot).second);
    prior_sum += k.prior;
    if (k.node == NodeIndex::kNone) continue;
    ++evaluated;
    const Node& n = m.nodes()[k.node];
    CHECK(n.visits > 0);
    CHECK_FALSE(n.has(Node::kPending));
    CHECK_FALSE(n.has(Node::kFailed));
    const Architecture b = m.arch_of(k.node);
    int differ = 0;
    for (size_t i = 0; i < at.choices.size(); ++i) differ += at.choices[i] != b.choices[i];
    CHECK(differ == 1);  // one edit away
  }
  CHECK(prior_sum == Approx(1.0));
  // 9 neighbours, less those pending or failed (a failed one is a neighbour with a node).
  size_t excluded = 0;
  for (const auto& nb : space.neighbours(at)) {
    for (uint32_t i = 0; i < m.nodes().size(); ++i)
      if (m.arch_of(i) == nb && (m.nodes()[i].has(Node::kPending) || m.nodes()[i].has(Node::kFailed) ||
                                 m.nodes()[i].visits == 0))
        ++excluded;
  }
  CHECK(kids.size() == 9 - excluded);
  CHECK(evaluated <= kids.size());
}
