#include "search/tree_core.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "common/error.h"
#include "search/sampling.h"

namespace mctsnas {
namespace {
// 2: the ridge surrogate stores P as a flushed matrix plus pending rank-one terms.
// 3: the ridge surrogate stores its observations (replayed on load), not P.
// 4: the ridge surrogate's features are treatment-coded (other indices).
// 5: the edit tree saves its last two roots (edit combination).
constexpr uint32_t kStateVersion = 5;
}  // namespace

TreeCore::TreeCore(const SearchSpace& space, const MctsOptions& options, TranspositionKey key, uint64_t seed,
                   std::unique_ptr<Surrogate> surrogate)
    : space_(space),
      options_(options),
      scorer_(options),
      key_kind_(key),
      decisions_(space.num_decisions()),
      rng_(seed),
      surrogate_(std::move(surrogate)) {
  MCTSNAS_CHECK(decisions_ > 0 && decisions_ < 255, "space must have 1..254 decisions");
}

uint64_t TreeCore::key_of(std::span<const Choice> a) const {
  uint64_t k = key_kind_ == TranspositionKey::canonical
                   ? space_.canonical_hash(Architecture{std::vector<Choice>(a.begin(), a.end())})
                   : exact_hash(a);
  return k == 0 ? 1 : k;
}

uint32_t TreeCore::new_node(uint64_t key, uint8_t depth) {
  MCTSNAS_CHECK(nodes_.size() < NodeIndex::kNone - 1, "MCTS tree is full (2^32 nodes)");
  Node n;
  n.key = key;
  n.depth = depth;
  nodes_.push_back(n);
  return static_cast<uint32_t>(nodes_.size() - 1);
}

Proposal TreeCore::emit(Architecture a, std::vector<uint32_t> path) {
  for (uint32_t n : path) ++nodes_[n].in_flight;
  nodes_[path.back()].flags |= Node::kPending;
  Proposal p{next_id_++, std::move(a)};
  in_flight_.emplace(p.id, std::move(path));
  return p;
}

void TreeCore::fantasize(const Architecture& a) {
  if (!fantasies_on()) return;
  surrogate_->add_fantasy(a);
  ++surrogate_version_;
}

std::vector<uint32_t> TreeCore::take_in_flight(uint64_t id) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) throw Error("mcts: observed trial " + std::to_string(id) + ", which is not in flight");
  std::vector<uint32_t> path = std::move(it->second);
  in_flight_.erase(it);
  fantasies_stale_ = true;
  return path;
}

void TreeCore::backup(std::span<const uint32_t> path, double reward, bool release_in_flight) {
  for (uint32_t i : path) {
    Node& n = nodes_[i];
    if (release_in_flight) {
      MCTSNAS_CHECK(n.in_flight > 0, "in-flight count underflow");
      --n.in_flight;
    }
    if (!std::isfinite(reward)) continue;
    n.value_max = n.visits == 0 ? static_cast<float>(reward) : std::max(n.value_max, static_cast<float>(reward));
    n.value_sum += reward;
    ++n.visits;
  }
}

void TreeCore::record_result(const Architecture& a, uint32_t leaf, double reward) {
  if (surrogate_) {
    surrogate_->observe(a, reward);
    ++surrogate_version_;
  }
  if (best_node_ == NodeIndex::kNone || reward > best_reward_) {
    best_node_ = leaf;
    best_reward_ = reward;
    best_arch_ = a;
  }
}

std::string TreeCore::dump_header(const char* tree) const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "mcts tree=%s nodes=%zu best=%d in_flight=%zu next_id=%llu\n", tree, nodes_.size(),
                best_node_ == NodeIndex::kNone ? -1 : int(best_node_), in_flight_.size(),
                static_cast<unsigned long long>(next_id_));
  return buf;
}

std::string TreeCore::dump_node(uint32_t i) const {
  const Node& n = nodes_[i];
  char buf[256];
  std::snprintf(buf, sizeof buf, "%u key=%016llx N=%u F=%u sum=%.6f max=%.6f flags=%u depth=%u", i,
                static_cast<unsigned long long>(n.key), n.visits, n.in_flight, n.value_sum,
                static_cast<double>(n.value_max), n.flags, n.depth);
  return buf;
}

void TreeCore::save_head(ByteWriter& out, bool edit_tree) const {
  out.put(kStateVersion);
  out.put<uint8_t>(edit_tree);
  out.put<uint32_t>(static_cast<uint32_t>(decisions_));
  out.put(rng_.state());
  out.put(next_id_);
  out.put(random_proposed_);
  out.put(best_node_);
  out.put(best_reward_);
  put_arch(out, best_arch_);
  out.put_vector(nodes_);
}

void TreeCore::load_head(ByteReader& in, bool edit_tree) {
  if (const auto v = in.get<uint32_t>(); v != kStateVersion)
    in.fail("MCTS state version " + std::to_string(v) + ", but this mctsnas reads version " +
            std::to_string(kStateVersion) + " (written by another mctsnas version: start a new run)");
  if (in.get<uint8_t>() != static_cast<uint8_t>(edit_tree)) in.fail("MCTS tree shape differs from the config's");
  if (in.get<uint32_t>() != static_cast<uint32_t>(decisions_)) in.fail("MCTS decision count differs from the space's");
  rng_.set_state(in.get<std::array<uint64_t, 4>>());
  next_id_ = in.get<uint64_t>();
  random_proposed_ = in.get<int64_t>();
  best_node_ = in.get<uint32_t>();
  best_reward_ = in.get<double>();
  best_arch_ = get_arch(in);
  nodes_ = in.get_vector<Node>();
  const size_t n = nodes_.size();
  if (best_node_ != NodeIndex::kNone && best_node_ >= n) in.fail("MCTS best node out of range");
  for (uint32_t i = 0; i < n; ++i) {
    const Node& x = nodes_[i];
    if (x.num_children && (x.first_child <= i || size_t{x.first_child} + x.num_children > n))
      in.fail("MCTS node " + std::to_string(i) + " has children out of range");
  }
}

void TreeCore::save_tail(ByteWriter& out) const {
  out.put_vector(index_.slots());
  out.put<uint64_t>(in_flight_.size());
  for (const auto& [id, path] : in_flight_) {
    out.put(id);
    out.put_vector(path);
  }
  out.put<uint8_t>(surrogate_ != nullptr);
  if (surrogate_) surrogate_->save(out);
}

void TreeCore::load_tail(ByteReader& in) {
  const size_t n = nodes_.size();
  if (!index_.set_slots(in.get_vector<uint32_t>(), n)) in.fail("MCTS transposition index is malformed");
  in_flight_.clear();
  const auto m = in.get<uint64_t>();
  if (m > n) in.fail("MCTS in-flight count larger than the tree");
  for (uint64_t i = 0; i < m; ++i) {
    const auto id = in.get<uint64_t>();
    auto path = in.get_vector<uint32_t>();
    if (path.empty()) in.fail("MCTS in-flight path is empty");
    for (uint32_t x : path)
      if (x >= n) in.fail("MCTS in-flight path out of range");
    in_flight_.emplace(id, std::move(path));
  }
  const bool has_surrogate = in.get<uint8_t>() != 0;
  if (has_surrogate != (surrogate_ != nullptr)) in.fail("MCTS surrogate setting differs from the config's");
  if (surrogate_) surrogate_->load(in);
  ++surrogate_version_;
  fantasies_stale_ = true;
}

}  // namespace mctsnas
