#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/rng.h"
#include "search/selection.h"

using namespace mctsnas;

namespace {

Node evaluated(uint32_t visits, double sum, float max, uint32_t in_flight = 0) {
  Node n;
  n.visits = visits;
  n.value_sum = sum;
  n.value_max = max;
  n.in_flight = in_flight;
  n.flags = Node::kEvaluated;
  return n;
}

// Scores children 1.. of parent nodes[0].
std::vector<ScoredChild> score(const MctsOptions& o, const std::vector<Node>& nodes, std::vector<double> pred = {}) {
  std::vector<ScoredChild> kids;
  for (uint32_t i = 1; i < nodes.size(); ++i) kids.push_back(ScoredChild{i, i - 1});
  ChildScorer(o).score(nodes, nodes[0], pred, kids);
  return kids;
}

MctsOptions rule(Selection selection, double c) {
  MctsOptions o;
  o.selection = selection;
  o.exploration = c;
  o.backup = Backup::mean;
  o.normalization = Normalization::minmax;
  o.first_play = 1.0;
  o.virtual_loss = 1.0;
  return o;
}

}  // namespace

TEST_CASE("PUCT and UCT formulas", "[selection]") {
  // Parent N = 9, children: n = 2 (mean 1), n = 0, n = 3 (mean 3); min-max Q 0 and 1.
  const std::vector<Node> nodes = {evaluated(9, 27, 4), evaluated(2, 2, 1), Node{}, evaluated(3, 9, 3)};
  auto puct = score(rule(Selection::puct, 1.0), nodes);
  REQUIRE(puct.size() == 3);
  for (const auto& k : puct) CHECK(k.prior == Approx(1.0 / 3.0));
  // Q = (value - lo) / (top - lo), top = max(parent 3, best sibling 3).
  CHECK(puct[0].score == Approx(0.0 + (1.0 / 3.0) * 3.0 / 3.0));
  CHECK(puct[1].score == Approx(1.0 + (1.0 / 3.0) * 3.0 / 1.0));  // never evaluated: first_play
  CHECK(puct[2].score == Approx(1.0 + (1.0 / 3.0) * 3.0 / 4.0));
  auto uct = score(rule(Selection::uct, 2.0), nodes);
  CHECK(uct[0].score == Approx(0.0 + 2.0 * std::sqrt(std::log(10.0) / 3.0)));
  CHECK(uct[1].score == Approx(1.0 + 2.0 * std::sqrt(std::log(10.0) / 1.0)));
  // A parent never visited counts as N = 1 in PUCT.
  const std::vector<Node> fresh = {Node{}, Node{}};
  CHECK(score(rule(Selection::puct, 2.0), fresh)[0].score == Approx(1.0 + 2.0 * 1.0 * 1.0));
  CHECK(score(rule(Selection::uct, 2.0), fresh)[0].score == Approx(1.0 + 2.0 * std::sqrt(std::log(1.0))));
}

TEST_CASE("virtual loss: each trial in flight is a visit of value 0", "[selection]") {
  // Child 1: 1 visit (Q 1 among its siblings) and 1 in flight: n = 2, Q = 1/2.
  const std::vector<Node> nodes = {evaluated(2, 3, 2, 1), evaluated(1, 2, 2, 1), evaluated(1, 1, 1), Node{}};
  auto kids = score(rule(Selection::puct, 1.0), nodes);
  CHECK(kids[0].visits == 2.0);
  CHECK(kids[0].q == Approx(0.5));
  CHECK(kids[0].score == Approx(0.5 + (1.0 / 3.0) * std::sqrt(3.0) / 3.0));  // N = 2 + 1 in flight
  Node pending;
  pending.in_flight = 1;  // proposed, no result yet: Q = 0, not first_play
  const std::vector<Node> with_pending = {evaluated(1, 1, 1, 1), pending};
  CHECK(score(rule(Selection::puct, 1.0), with_pending)[0].q == 0.0);
}

TEST_CASE("mean or max backup, min-max or rank normalization", "[selection]") {
  const std::vector<Node> nodes = {evaluated(6, 30, 9), evaluated(2, 10, 9), evaluated(2, 12, 7), evaluated(2, 8, 8)};
  MctsOptions o = rule(Selection::uct, 0.0);
  auto mean_minmax = score(o, nodes);  // means 5, 6, 4 against parent 5
  CHECK(mean_minmax[0].q == Approx(0.5));
  CHECK(mean_minmax[1].q == Approx(1.0));
  CHECK(mean_minmax[2].q == Approx(0.0));
  o.backup = Backup::max;  // maxima 9, 7, 8
  auto max_minmax = score(o, nodes);
  CHECK(max_minmax[0].q == Approx(1.0));
  CHECK(max_minmax[1].q == Approx(0.0));
  CHECK(max_minmax[2].q == Approx(0.5));
  o.normalization = Normalization::rank;
  o.backup = Backup::mean;
  auto mean_rank = score(o, nodes);
  CHECK(mean_rank[0].q == Approx(0.5));
  CHECK(mean_rank[1].q == Approx(1.0));
  CHECK(mean_rank[2].q == Approx(0.0));
  for (const auto& k : mean_rank) CHECK(k.score == k.q);  // exploration 0
}

TEST_CASE("priors: prior_decay^rank by the surrogate's score, summing to 1", "[selection]") {
  const std::vector<Node> nodes = {Node{}, Node{}, Node{}, Node{}};
  MctsOptions o = rule(Selection::puct, 1.0);
  o.prior_decay = 0.5;
  auto kids = score(o, nodes, {2.0, 7.0, 2.0});  // ranks 1, 0, 2 (ties: earlier first)
  const double sum = 1 + 0.5 + 0.25;
  CHECK(kids[0].prior == Approx(0.5 / sum));
  CHECK(kids[1].prior == Approx(1.0 / sum));
  CHECK(kids[2].prior == Approx(0.25 / sum));
  CHECK(argmax_score(kids) == 1);
}

TEST_CASE("an exhausted child scores -infinity; ties go to the higher prior, then the first", "[selection]") {
  Node done = evaluated(1, 5, 5);
  done.flags |= Node::kExhausted;
  const std::vector<Node> nodes = {evaluated(1, 5, 5), done, Node{}};
  auto kids = score(rule(Selection::puct, 1.0), nodes);
  CHECK(kids[0].score == -std::numeric_limits<double>::infinity());
  CHECK(argmax_score(kids) == 1);
  std::vector<ScoredChild> tie = {{1, 0, 0, 0.2, 0, 1.0}, {2, 1, 0, 0.3, 0, 1.0}, {3, 2, 0, 0.3, 0, 1.0}};
  CHECK(argmax_score(tie) == 1);
}

TEST_CASE("rank normalization: the share of siblings strictly below, few or many", "[selection]") {
  // Few siblings are counted pairwise, many are sorted: both must give the
  // brute-force ranks, ties included.
  Rng rng(5);
  for (size_t n : {1u, 2u, 7u, 24u, 64u, 65u, 300u}) {
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<double>(rng.below(n / 2 + 1));  // many ties
    std::vector<double> out;
    ChildScorer::rank_normalize(v, out);
    REQUIRE(out.size() == n);
    for (size_t i = 0; i < n; ++i) {
      size_t below = 0;
      for (double y : v) below += y < v[i];
      INFO("n " << n << " i " << i);
      CHECK(out[i] == (n == 1 ? 1.0 : static_cast<double>(below) / static_cast<double>(n - 1)));
    }
  }
}

TEST_CASE("descending ranks: a stable sort's positions, few or many", "[selection]") {
  Rng rng(8);
  for (size_t n : {1u, 3u, 24u, 64u, 65u, 200u}) {
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<double>(rng.below(n / 3 + 1));  // ties
    std::vector<uint32_t> ranks;
    ChildScorer::descending_ranks(v, ranks);
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] > v[b]; });
    INFO("n " << n);
    for (size_t r = 0; r < n; ++r) CHECK(ranks[order[r]] == r);
  }
}
