#pragma once
// The edit tree: a node is a complete architecture, an edge one legal edit
// (SearchSpace::neighbours), rooted at the best architecture found so far. A
// descent scores the root's children; a child never evaluated is proposed, an
// evaluated one is descended into (at most max_depth edits, no node twice on a
// path). When a descent finds nothing, the best evaluated architecture that still
// has an unevaluated neighbour proposes the surrogate's favourite of them. Each
// architecture is one node, whichever path reached it (search/mcts_node.h).
//
// Edit combination (options.combine_edits), only while trials are in flight
// (so k = 1 never sees it): a wave of results moves the root one edit, from P to
// the best result R; the other edits that improved P on decisions where R still
// equals P are applied to R together, best first, and the first such jump of two
// or more edits not known yet is proposed before the descent's. Where edits add
// up, a batch takes several improving steps at once instead of one per wave.
#include "search/tree_core.h"

namespace mctsnas {

class EditTree final : public Tree {
 public:
  explicit EditTree(TreeCore& core);
  std::optional<Proposal> propose_one() override;
  void backup(std::span<const uint32_t> path, double reward) override;
  std::vector<ScoredChild> children(uint32_t node) const override;
  Architecture arch_of(uint32_t node) const override;
  std::vector<Architecture> most_visited_path() const override;
  std::string dump_node(uint32_t node) const override;
  size_t extra_bytes() const override { return choices_.bytes() + open_.size() * sizeof(OpenEntry); }
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;

 private:
  // A node's neighbours (choices and keys) are cached in a small direct-mapped
  // table, with their surrogate scores and the surrogate version they were
  // computed at: descents revisit the same nodes near the root many times, and
  // between two observations (propose(k), k > 1) nothing needs rescoring. Pure
  // caches: not saved, and results are bit-identical without them.
  struct NeighbourList {
    uint32_t node = NodeIndex::kNone;
    std::vector<Choice> choices;       // count x decisions
    std::vector<uint64_t> keys;        // transposition keys
    std::vector<uint32_t> node_of;     // the neighbour's node, kNone while it has none (see resolve_nodes)
    size_t resolved_upto = 0;          // node_of accounts for nodes [0, resolved_upto)
    std::vector<double> pred;          // the surrogate's score per neighbour, valid where pred_version matches
    std::vector<uint64_t> pred_version;
    ScoreMemos memo;                   // the surrogate's per-neighbour cache (bit-identical results)
    size_t size() const { return keys.size(); }
    const Choice* arch(size_t i, int d) const { return choices.data() + i * static_cast<size_t>(d); }
  };
  NeighbourList& neighbours_of(uint32_t node) const;
  void resolve_nodes(NeighbourList& l) const;
  // Makes list.pred current for the neighbours at `which`.
  void ensure_pred(NeighbourList& list, const std::vector<uint32_t>& which) const;
  // The children of a node as the selection rule sees them (slot: the
  // neighbour's index in the list), in neighbour order. The list stays valid
  // until the next neighbours_of.
  const NeighbourList& scored_children(uint32_t node, std::vector<ScoredChild>& out) const;
  std::optional<Proposal> propose_random();
  std::optional<Proposal> propose_frontier();  // the fallback when a descent finds nothing
  void track_root(uint32_t root);
  // The improving edits of the previous root as (decision, choice), best first.
  std::vector<std::pair<int, Choice>> improving_edits(const Architecture& prev, const Architecture& root);
  std::optional<Proposal> propose_combination();
  // A new node for architecture `a` at `depth`, proposed with `path` (a ends it).
  Proposal propose_new(Architecture a, uint8_t depth, std::vector<uint32_t> path);
  void push_open(uint32_t node);

  TreeCore& core_;
  ChoiceTable choices_;  // each node's architecture
  mutable std::vector<NeighbourList> nbr_cache_;
  mutable std::vector<Choice> arch_scratch_;
  mutable std::vector<const Choice*> score_archs_;
  mutable std::vector<uint32_t> score_idx_, which_;
  mutable std::vector<double> score_out_, pred_;
  std::vector<ScoredChild> kids_;
  std::vector<float> before_;  // backup(): value_max along the path before it
  // Max-heap of (value_max, node) over evaluated nodes not known to be closed;
  // the fallback when a descent finds nothing pops from the top, closing nodes
  // as it goes (amortized O(log n)). Entries go stale when a node's value_max
  // rises (a fresh entry is pushed then) or it closes; stale entries are
  // dropped when they reach the top. 8 bytes per entry, saved as is.
  struct OpenEntry {
    float value;
    uint32_t node;
    friend bool operator<(const OpenEntry& a, const OpenEntry& b) {
      return a.value < b.value || (a.value == b.value && a.node > b.node);
    }
  };
  std::vector<OpenEntry> open_;
  // The root of the last proposal and the one before it, each with its reward
  // when it became the root (the best so far then, so its own): what
  // propose_combination reads. Saved as is.
  struct Roots {
    uint32_t prev = NodeIndex::kNone, cur = NodeIndex::kNone;
    float prev_value = 0, cur_value = 0;
  };
  Roots roots_;
};

}  // namespace mctsnas
