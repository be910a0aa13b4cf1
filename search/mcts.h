#pragma once
// Monte Carlo tree search over architectures: one core, two tree shapes.
//
//  - edit tree (default): node = complete architecture, edge = one legal edit
//    (SearchSpace::neighbours), rooted at the best architecture found so far. A
//    descent scores the root's children; a child never evaluated is proposed, an
//    evaluated one is descended into (at most max_depth edits, no node twice on a
//    path). Measured on NB201 it is far more sample-efficient than the prefix tree
//    (shared/research/tree-search-on-nb201.md).
//  - prefix tree (AlphaX-style): node = partial architecture, edge = one decision;
//    a descent grows one path to a complete architecture and proposes it.
//
// Selection is PUCT (Q + c P sqrt(N) / (1 + n)) or UCT (Q + c sqrt(ln(N + 1) / (n + 1)));
// Q is a child's backed-up value (max or mean), normalized over its evaluated
// siblings (min-max or rank) to [0, 1]; a child never evaluated gets first_play.
// Priors P rank the children by the surrogate's prediction, P ~ prior_decay^rank
// (uniform without a surrogate). In-flight trials add virtual_loss visits of
// value 0 to every node on their path, so propose(k) spreads k descents; pending
// architectures are never proposed again, so the k proposals are distinct.
// The transposition table (exact or canonical key) makes every architecture one
// node: a known result is reused, never re-evaluated.
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/rng.h"
#include "search/mcts_node.h"
#include "search/search_options.h"
#include "search/searcher.h"
#include "search/surrogate.h"

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

  // Selection arithmetic, exposed for tests.
  static double puct_score(double q, double prior, double parent_visits, double child_visits, double c);
  static double uct_score(double q, double parent_visits, double child_visits, double c);
  // out[i] = (number of values strictly below values[i]) / (n - 1); 1 when n == 1.
  static void rank_normalize(std::span<const double> values, std::vector<double>& out);
  // out[i] = position of values[i] in a stable sort, highest first (ties: earlier first).
  static void descending_ranks(std::span<const double> values, std::vector<uint32_t>& out);

  // One child as the selection rule sees it (prefix tree: node's children in order;
  // edit tree: the node's neighbours that are not pending/failed).
  struct ChildScore {
    std::optional<uint32_t> node;  // nullopt: never evaluated (edit tree)
    Architecture arch;             // edit tree only
    double q = 0, prior = 0, visits = 0, score = 0;
  };
  std::vector<ChildScore> child_scores(uint32_t node) const;

  const std::vector<Node>& nodes() const { return nodes_; }
  size_t memory_bytes() const;  // nodes + choices + index, as allocated
  // Text dump of every node, in index order (golden-file tests).
  std::string dump() const;
  std::optional<uint32_t> best_node() const {
    return best_node_ == NodeIndex::kNone ? std::nullopt : std::optional<uint32_t>(best_node_);
  }
  Architecture arch_of(uint32_t node) const;  // edit tree / prefix terminals
  size_t in_flight() const { return in_flight_.size(); }

 private:
  bool edit() const { return edit_tree_; }
  uint64_t key_of(const Architecture& a) const;
  uint64_t key_of(std::span<const Choice> a) const;
  double predict(const Architecture& a) const;
  uint32_t new_node(uint64_t key, uint8_t depth);
  // Fills priors (sum 1) from surrogate predictions of `archs`.
  void priors_for(const std::vector<Architecture>& archs, std::vector<double>& out) const;
  // Normalized Q of each evaluated child (values as backed up), in [0,1].
  void normalize(const std::vector<double>& values, double parent_value, std::vector<double>& out) const;
  double value_of(const Node& n) const;
  // A child's Q and selection score, the one rule both tree shapes use. c: nullptr
  // for a child never expanded. next_q: the next normalized value, consumed when c
  // has visits. np: the parent's visits with virtual loss.
  struct Scored {
    double q, visits, score;
  };
  struct ParentTerm {
    double value;  // PUCT: sqrt(max(np, 1)); UCT: log(np + 1)
  };
  ParentTerm parent_term(double np) const;
  Scored score_child(const Node* c, double prior, ParentTerm pt, const double*& next_q) const;

  std::vector<ChildScore> scores(uint32_t node, const std::vector<Choice>& node_prefix) const;

  // Edit tree hot path. A node's neighbours (choices and keys) are cached in a
  // small direct-mapped table, and their surrogate scores with the surrogate
  // version they were computed at: descents revisit the same nodes near the root
  // many times, and between two observations (propose(k), k > 1) nothing needs
  // rescoring. Pure caches: not saved, and results are bit-identical without them.
  struct NeighbourList {
    uint32_t node = NodeIndex::kNone;
    std::vector<Choice> choices;       // count x decisions
    std::vector<uint64_t> keys;        // transposition keys
    std::vector<uint32_t> node_of;     // the neighbour's node, kNone while it has none (see resolve_nodes)
    size_t resolved_upto = 0;          // node_of accounts for nodes_[0, resolved_upto)
    std::vector<double> pred;          // predict() per neighbour, valid where pred_version matches
    std::vector<uint64_t> pred_version;
    ScoreMemos memo;                   // the surrogate's per-neighbour cache (bit-identical results)
    size_t size() const { return keys.size(); }
    const Choice* arch(size_t i, int d) const { return choices.data() + i * static_cast<size_t>(d); }
  };
  struct EditKid {
    uint32_t nbr;   // index in the node's NeighbourList
    uint32_t node;  // NodeIndex::kNone: never evaluated
    double q, prior, visits, score;
  };
  NeighbourList& neighbours_of(uint32_t node) const;
  void resolve_nodes(NeighbourList& l) const;
  // Children of an edit-tree node as the selection rule sees them, in neighbour
  // order (what scores() gave). The list stays valid until the next neighbours_of.
  const NeighbourList& edit_kids(uint32_t node, std::vector<EditKid>& out) const;
  // Makes list.pred current for the neighbours at `which` (predict()'s values).
  void ensure_pred(NeighbourList& list, const std::vector<uint32_t>& which) const;
  mutable std::vector<NeighbourList> nbr_cache_;
  mutable std::vector<const Choice*> score_archs_;
  mutable std::vector<uint32_t> score_idx_, s_which_;
  mutable std::vector<double> score_out_, s_pred_, s_values_, s_qs_;
  mutable std::vector<uint32_t> s_rank_;
  mutable std::vector<double> s_decay_pow_, s_decay_sum_;  // prior_decay^r and their running sums
  std::vector<EditKid> kids_;
  std::vector<float> s_before_;  // observe(): value_max along the path before the backup
  uint64_t surrogate_version_ = 1;  // bumped whenever the surrogate changes
  std::optional<Proposal> propose_one();
  std::optional<Proposal> propose_edit();
  std::optional<Proposal> propose_prefix();
  std::optional<Proposal> propose_frontier();  // edit-tree fallback when a descent finds nothing
  std::optional<Proposal> propose_random();
  Proposal emit(Architecture a, std::vector<uint32_t> path);
  void backup(const std::vector<uint32_t>& path, double reward, bool release_only);
  void mark_exhausted(const std::vector<uint32_t>& path);
  void expand(uint32_t node, const std::vector<Choice>& prefix);
  Architecture complete_for_prior(std::vector<Choice> prefix) const;

  const SearchSpace& space_;
  MctsOptions options_;
  TranspositionKey key_kind_;
  bool edit_tree_;
  bool use_puct_;
  bool max_backup_;
  bool rank_norm_;
  int decisions_;
  Rng rng_;
  uint64_t next_id_ = 0;
  int64_t random_proposed_ = 0;
  uint32_t best_node_ = NodeIndex::kNone;
  double best_reward_ = 0;
  Architecture best_arch_;
  std::vector<Node> nodes_;
  ChoiceTable choices_;  // edit tree: each node's architecture
  mutable std::vector<Choice> arch_scratch_;
  NodeIndex index_;
  std::map<uint64_t, std::vector<uint32_t>> in_flight_;  // proposal id -> path (root first, leaf last)
  std::unique_ptr<Surrogate> surrogate_;
  // Edit tree: max-heap of (value_max, node) over evaluated nodes not known to be
  // closed; the fallback when a descent finds nothing pops from the top, closing
  // nodes as it goes (amortized O(log n)). Entries go stale when a node's
  // value_max rises (a fresh entry is pushed then) or it closes; stale entries
  // are dropped when they reach the top. 8 bytes per entry, saved as is.
  struct OpenEntry {
    float value;
    uint32_t node;
    friend bool operator<(const OpenEntry& a, const OpenEntry& b) {
      return a.value < b.value || (a.value == b.value && a.node > b.node);
    }
  };
  std::vector<OpenEntry> open_;
  void push_open(uint32_t node);
};

}  // namespace mctsnas
