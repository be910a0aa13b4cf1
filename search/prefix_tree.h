#pragma once
// The prefix tree (AlphaX-style): a node is a partial architecture, an edge one
// decision. A descent grows one path to a complete architecture and proposes it;
// an architecture already known by another path (a transposition) backs its
// result up this path instead. Children of a node are created together, as a
// contiguous block (see search/mcts_node.h), so a node needs no choice table.
#include "search/tree_core.h"

namespace mctsnas {

class PrefixTree final : public Tree {
 public:
  explicit PrefixTree(TreeCore& core);  // creates the root: the empty prefix
  std::optional<Proposal> propose_one() override;
  void backup(std::span<const uint32_t> path, double reward) override { core_.backup(path, reward, true); }
  std::vector<ScoredChild> children(uint32_t node) const override;
  Architecture arch_of(uint32_t node) const override;
  std::vector<Architecture> most_visited_path() const override;
  std::string dump_node(uint32_t node) const override;
  size_t extra_bytes() const override { return 0; }
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;

 private:
  void check_children(ByteReader& in) const;
  // The node's children with their scores; prefix: the node's choices.
  void scored_children(uint32_t node, const std::vector<Choice>& prefix, std::vector<ScoredChild>& out) const;
  // The next node of a descent from `node`, or kNone where none is open.
  uint32_t pick_child(uint32_t node, const std::vector<Choice>& prefix, bool random_walk);
  // The complete architecture at the end of `path`: proposed, or (a
  // transposition) its known result backed up along the path.
  std::optional<Proposal> finish(std::vector<uint32_t> path, std::vector<Choice> prefix, bool random_walk);
  void expand(uint32_t node, const std::vector<Choice>& prefix);
  void mark_exhausted(const std::vector<uint32_t>& path);
  // A prefix completed for the surrogate to score (see the .cpp).
  Architecture complete_for_prior(std::vector<Choice> prefix) const;
  double predict(const Architecture& a) const;

  TreeCore& core_;
};

}  // namespace mctsnas
