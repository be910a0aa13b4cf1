#pragma once
// Monte Carlo tree search over architectures: one core, two tree shapes.
//
//  - edit tree (default, search/edit_tree.h): node = complete architecture, edge
//    = one legal edit, rooted at the best architecture found so far. On NB201 it
//    is far more sample-efficient than the prefix tree
//    (shared/research/tree-search-on-nb201.md, bench/results/search_efficiency.md).
//  - prefix tree (AlphaX-style, search/prefix_tree.h): node = partial
//    architecture, edge = one decision.
//
// Both are driven by one core (search/tree_core.h) and one selection rule
// (search/selection.h: PUCT or UCT over normalized Q and surrogate-ranked
// priors). In-flight trials add virtual_loss visits of value 0 to every node on
// their path, so propose(k) spreads k descents; pending architectures are never
// proposed again, so the k proposals are distinct. While trials are in flight
// the edit tree also proposes edit combinations (combine_edits,
// search/edit_tree.h), and with batch: fantasy the trials in flight are
// fantasies in the surrogate (search/tree_core.h). The transposition table
// (exact or canonical key) makes every architecture one node: a known result is
// reused, never re-evaluated.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "search/search_options.h"
#include "search/searcher.h"
#include "search/tree_core.h"

namespace mctsnas {

class Mcts final : public Searcher {
 public:
  Mcts(const SearchSpace& space, const MctsOptions& options, TranspositionKey key, uint64_t seed);
  // The same with this surrogate (nullptr: uniform priors) instead of the one
  // options.surrogate names: another feature map, benchmarks of variants.
  Mcts(const SearchSpace& space, const MctsOptions& options, TranspositionKey key, uint64_t seed,
       std::unique_ptr<Surrogate> surrogate);
  std::string name() const override { return "mcts"; }
  std::vector<Proposal> propose(int k) override;
  void observe(const Proposal& p, double reward) override;
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;
  SearchStats stats() const override;

  // A node's children as the selection rule scores them now (prefix tree: all
  // its children in order; edit tree: its neighbours that are not pending or failed).
  std::vector<ScoredChild> child_scores(uint32_t node) const { return tree_->children(node); }
  const std::vector<Node>& nodes() const { return core_.nodes(); }
  size_t memory_bytes() const;  // nodes, index and the shape's tables, as allocated
  // Text dump of every node, in index order (golden-file tests).
  std::string dump() const;
  std::optional<uint32_t> best_node() const { return core_.best_node(); }
  Architecture arch_of(uint32_t node) const { return tree_->arch_of(node); }  // edit tree / prefix terminals
  size_t in_flight() const { return core_.in_flight().size(); }

 private:
  TreeCore core_;
  bool edit_tree_;
  std::unique_ptr<Tree> tree_;
};

}  // namespace mctsnas
