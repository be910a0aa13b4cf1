#pragma once
// What both MCTS tree shapes share (search/mcts.h): the nodes and the
// transposition index over them (search/mcts_node.h), the selection rule
// (search/selection.h), virtual loss on the paths of trials in flight, backup,
// the surrogate, and the proposal bookkeeping; and the interface, Tree, through
// which the core drives a shape (search/prefix_tree.h, search/edit_tree.h).
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/binary_io.h"
#include "common/rng.h"
#include "search/mcts_node.h"
#include "search/search_options.h"
#include "search/searcher.h"
#include "search/selection.h"
#include "search/surrogate.h"

namespace mctsnas {

class TreeCore {
 public:
  TreeCore(const SearchSpace& space, const MctsOptions& options, TranspositionKey key, uint64_t seed,
           std::unique_ptr<Surrogate> surrogate);

  const SearchSpace& space() const { return space_; }
  const MctsOptions& options() const { return options_; }
  int decisions() const { return decisions_; }
  const ChildScorer& scorer() const { return scorer_; }
  Rng& rng() { return rng_; }
  Surrogate* surrogate() const { return surrogate_.get(); }
  // Bumped whenever the surrogate changes: scores cached at an older version are stale.
  uint64_t surrogate_version() const { return surrogate_version_; }
  // Priors come from the surrogate once it has seen a result; uniform before.
  bool ranks_by_surrogate() const { return surrogate_ && surrogate_->num_observations() > 0; }

  std::vector<Node>& nodes() { return nodes_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  NodeIndex& index() { return index_; }
  const NodeIndex& index() const { return index_; }
  uint64_t key_of(std::span<const Choice> a) const;  // never 0 (0 marks "no key" in Node)
  uint32_t new_node(uint64_t key, uint8_t depth);
  // Scores kids (node and slot set) of `parent` with the selection rule.
  void score(const Node& parent, std::span<const double> pred, std::span<ScoredChild> kids) const {
    scorer_.score(nodes_, parent, pred, kids);
  }

  // Trials in flight: a proposal adds one in-flight count (virtual loss) to
  // every node of its path (root first, leaf last) and marks the leaf pending.
  Proposal emit(Architecture a, std::vector<uint32_t> path);
  const std::map<uint64_t, std::vector<uint32_t>>& in_flight() const { return in_flight_; }
  std::vector<uint32_t> take_in_flight(uint64_t id);  // throws Error if id is not in flight
  // Adds a finite reward to every node of the path (a NaN one adds nothing);
  // release_in_flight: the path's trial has finished.
  void backup(std::span<const uint32_t> path, double reward, bool release_in_flight);
  // A finished trial's reward (finite) for the surrogate and the best so far.
  void record_result(const Architecture& a, uint32_t leaf, double reward);

  std::optional<uint32_t> best_node() const {
    return best_node_ == NodeIndex::kNone ? std::nullopt : std::optional<uint32_t>(best_node_);
  }
  const Architecture* best_arch() const { return best_node_ == NodeIndex::kNone ? nullptr : &best_arch_; }
  // Batch fantasies (options.batch == fantasy, search/surrogate.h): `a`, just
  // proposed, joins them; after an observation or a load they are stale and
  // refresh_fantasies sets them again from the trials in flight, in id order, so
  // a resumed run holds the same ones. No-ops in the other mode.
  void fantasize(const Architecture& a);
  template <class ArchOf>
  void refresh_fantasies(ArchOf&& arch_of) {
    if (!fantasies_stale_) return;
    fantasies_stale_ = false;
    if (!fantasies_on()) return;
    surrogate_->clear_fantasies();
    for (const auto& [id, path] : in_flight_) surrogate_->add_fantasy(arch_of(path.back()));
    ++surrogate_version_;
  }
  // Random architectures proposed before the tree takes over (options.initial_random).
  bool in_random_phase() const { return random_proposed_ < options_.initial_random; }
  void count_random() { ++random_proposed_; }

  // The checkpoint, in two parts around the shape's own data (Tree::save).
  void save_head(ByteWriter& out, bool edit_tree) const;
  void load_head(ByteReader& in, bool edit_tree);
  void save_tail(ByteWriter& out) const;
  void load_tail(ByteReader& in);
  std::string dump_header(const char* tree) const;
  std::string dump_node(uint32_t i) const;  // without the shape's fields or newline

 private:
  const SearchSpace& space_;
  MctsOptions options_;
  ChildScorer scorer_;
  TranspositionKey key_kind_;
  int decisions_;
  Rng rng_;
  uint64_t next_id_ = 0;
  int64_t random_proposed_ = 0;
  uint32_t best_node_ = NodeIndex::kNone;
  double best_reward_ = 0;
  Architecture best_arch_;
  std::vector<Node> nodes_;
  NodeIndex index_;
  std::map<uint64_t, std::vector<uint32_t>> in_flight_;  // proposal id -> path (root first, leaf last)
  std::unique_ptr<Surrogate> surrogate_;
  uint64_t surrogate_version_ = 1;
  bool fantasies_stale_ = true;
  bool fantasies_on() const { return options_.batch == BatchMode::fantasy && surrogate_; }
};

// A tree shape: how a descent finds the next architecture, what a node's
// children are, and what the shape stores beyond the core's nodes.
class Tree {
 public:
  virtual ~Tree() = default;
  // One descent: a proposal (core.emit), or nullopt when nothing is left.
  virtual std::optional<Proposal> propose_one() = 0;
  // The finished trial of `path` backs up `reward` (NaN: failed, adds nothing).
  virtual void backup(std::span<const uint32_t> path, double reward) = 0;
  // The children of a node as the selection rule sees them now.
  virtual std::vector<ScoredChild> children(uint32_t node) const = 0;
  virtual Architecture arch_of(uint32_t node) const = 0;
  // From the root, following the most visited child (SearchStats::most_visited_path).
  virtual std::vector<Architecture> most_visited_path() const = 0;
  virtual std::string dump_node(uint32_t node) const = 0;  // the shape's fields of a node
  virtual size_t extra_bytes() const = 0;  // what the shape holds beyond nodes and index
  // The shape's part of the checkpoint, between the core's head and tail.
  virtual void save(ByteWriter& out) const = 0;
  virtual void load(ByteReader& in) = 0;
};

}  // namespace mctsnas
