#pragma once
// The selection arithmetic of MCTS, the one rule both tree shapes use: how a
// node's children are scored and which one a descent takes.
//
//   score = Q + c P sqrt(N) / (1 + n)          (PUCT)
//   score = Q + c sqrt(ln(N + 1) / (n + 1))    (UCT)
//
// Q is a child's backed-up value (max or mean of its subtree's rewards),
// normalized among its evaluated siblings (min-max or rank) to [0, 1]; a child
// never evaluated gets first_play. Priors P rank the children by the surrogate's
// score, P ~ prior_decay^rank (uniform without one). Virtual loss: each trial in
// flight below a node counts as virtual_loss visits of value 0, in n and in N.
#include <cstdint>
#include <span>
#include <vector>

#include "search/mcts_node.h"
#include "search/search_options.h"

namespace mctsnas {

// One child as the selection rule sees it.
struct ScoredChild {
  uint32_t node = NodeIndex::kNone;  // its node; kNone: never evaluated (edit tree)
  uint32_t slot = 0;                 // which child, in the tree shape's terms
  double q = 0, prior = 0, visits = 0, score = 0;
};

// Highest score; ties go to the higher prior, then to the earlier child.
size_t argmax_score(std::span<const ScoredChild> kids);

class ChildScorer {
 public:
  explicit ChildScorer(const MctsOptions& options);
  // Fills q, prior, visits and score of every child in `kids` (node and slot set
  // by the caller) of `parent`; `nodes` holds the nodes the indices refer to.
  // pred: the surrogate's score per child, or empty for uniform priors. An
  // exhausted child scores -infinity.
  void score(std::span<const Node> nodes, const Node& parent, std::span<const double> pred,
             std::span<ScoredChild> kids) const;
  // A node's backed-up value, max or mean (visits > 0).
  double value_of(const Node& n) const {
    return max_backup_ ? static_cast<double>(n.value_max) : n.value_sum / n.visits;
  }

  // out[i] = (number of values strictly below values[i]) / (n - 1); 1 when n == 1.
  static void rank_normalize(std::span<const double> values, std::vector<double>& out);
  // out[i] = position of values[i] in a stable sort, highest first (ties: earlier first).
  static void descending_ranks(std::span<const double> values, std::vector<uint32_t>& out);

 private:
  void priors(std::span<const double> pred, std::span<ScoredChild> kids) const;
  // Normalized Q of each evaluated child (values as backed up), in [0,1].
  void normalize(const std::vector<double>& values, double parent_value, std::vector<double>& out) const;

  bool use_puct_, max_backup_, rank_norm_;
  double exploration_, virtual_loss_, first_play_, prior_decay_;
  // Scratch, kept between calls: a descent scores many nodes.
  mutable std::vector<double> values_, qs_;
  mutable std::vector<uint32_t> rank_;
  mutable std::vector<double> decay_pow_, decay_sum_;  // prior_decay^r and their running sums
};

}  // namespace mctsnas
