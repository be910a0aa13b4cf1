#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "common/binary_io.h"
#include "common/error.h"
#include "search/mcts.h"
#include "search/search_options.h"
#include "search_test_util.h"

using namespace mctsnas;
using namespace mctsnas::testing;

namespace {

MctsOptions prefix_uniform() {
  MctsOptions o;
  o.tree = TreeShape::prefix;
  o.surrogate = SurrogateKind::none;
  o.initial_random = 0;
  o.exploration = 1.0;
  o.virtual_loss = 1.0;
  o.backup = Backup::max;
  o.normalization = Normalization::minmax;
  return o;
}

}  // namespace

TEST_CASE("prefix tree: selection arithmetic on a hand-built tree", "[prefix_tree]") {
  // 3 x 3 space: the root has 3 children, each with 3 terminals. With uniform
  // priors and first-play 1, virtual loss sends the 3 first proposals to 3
  // different root children; rewards 1, 2, 4 are then backed up.
  TinySpace space({3, 3});
  auto opts = prefix_uniform();
  Mcts m(space, opts, TranspositionKey::exact, 1);
  auto props = m.propose(3);
  REQUIRE(props.size() == 3);
  std::set<Choice> first;
  for (auto& p : props) first.insert(p.arch.choices[0]);
  CHECK(first.size() == 3);
  const double rewards[3] = {1, 2, 4};
  for (auto& p : props) m.observe(p, rewards[p.arch.choices[0]]);

  auto kids = m.child_scores(0);
  REQUIRE(kids.size() == 3);
  const double u = 1.0 * (1.0 / 3.0) * std::sqrt(3.0) / (1.0 + 1.0);
  // min-max over siblings: lo = 1, top = max(parent 4, best sibling 4).
  CHECK(kids[0].q == Approx(0.0));
  CHECK(kids[1].q == Approx(1.0 / 3.0));
  CHECK(kids[2].q == Approx(1.0));
  for (int i = 0; i < 3; ++i) {
    CHECK(kids[i].prior == Approx(1.0 / 3.0));
    CHECK(kids[i].visits == Approx(1.0));
    CHECK(kids[i].score == Approx(kids[i].q + u));
  }

  // The next descent takes child 2; its in-flight trial is a visit of value 0.
  auto p4 = m.propose(1);
  REQUIRE(p4.size() == 1);
  CHECK(p4[0].arch.choices[0] == 2);
  kids = m.child_scores(0);
  CHECK(kids[2].visits == Approx(2.0));
  CHECK(kids[2].q == Approx(0.5));
  CHECK(kids[2].score == Approx(0.5 + (1.0 / 3.0) * std::sqrt(4.0) / 3.0));
}

TEST_CASE("prefix tree: UCT, mean backup and rank normalization", "[prefix_tree]") {
  TinySpace space({3, 2});
  auto opts = prefix_uniform();
  opts.selection = Selection::uct;
  opts.backup = Backup::mean;
  opts.normalization = Normalization::rank;
  Mcts m(space, opts, TranspositionKey::exact, 1);
  auto props = m.propose(3);
  REQUIRE(props.size() == 3);
  const double rewards[3] = {5, 3, 4};
  for (auto& p : props) m.observe(p, rewards[p.arch.choices[0]]);
  auto kids = m.child_scores(0);
  REQUIRE(kids.size() == 3);
  CHECK(kids[0].q == Approx(1.0));  // 5 is the highest of 5, 3, 4
  CHECK(kids[1].q == Approx(0.0));
  CHECK(kids[2].q == Approx(0.5));
  for (auto& k : kids) CHECK(k.score == Approx(k.q + std::sqrt(std::log(4.0) / 2.0)));
}

TEST_CASE("prefix tree: a known result updates the tree without a proposal", "[prefix_tree]") {
  TinySpace space({3, 3, 3, 3}, /*canonical_sorted=*/true);
  MctsOptions o;
  o.tree = TreeShape::prefix;
  o.initial_random = 0;
  Mcts m(space, o, TranspositionKey::canonical, 5);
  auto all = drive_to_exhaustion(m, 1, nullptr);
  // The root saw every proposal once plus every transposition reached later.
  CHECK(m.nodes()[0].visits > all.size());
}

// Found by fuzz/checkpoint_fuzz.cpp: a checkpoint whose node holds a choice its
// parent's prefix does not allow reached the surrogate's feature map out of range.
TEST_CASE("prefix tree: a saved tree whose children are not the legal choices is refused", "[prefix_tree]") {
  TinySpace space({3, 3});
  auto opts = prefix_uniform();
  Mcts m(space, opts, TranspositionKey::exact, 1);
  for (int i = 0; i < 3; ++i)
    for (auto& p : m.propose(1)) m.observe(p, static_cast<double>(i));
  ByteWriter w;
  m.save(w);
  const std::string good = w.bytes();
  int refused = 0;
  for (size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] = 7;   // no decision of this space has a choice 7
    Mcts other(space, opts, TranspositionKey::exact, 1);
    ByteReader r(bad, "state");
    try {
      other.load(r);
    } catch (const Error& e) {
      refused += std::string(e.what()).find("not a legal choice of its parent's prefix") != std::string::npos;
    }
  }
  CHECK(refused >= 1);
}
