#pragma once
// The MCTS tree's storage. Memory layout (a design decision, as in lc0's node.h):
//
//   nodes   : std::vector<Node> in TreeCore, 40 bytes each, index 0 = first node.
//             Nodes are never freed or moved individually, so an index (uint32) is
//             a stable handle and the whole tree is one contiguous block: a
//             checkpoint is a memcpy of it.
//   choices : edit tree only (EditTree's ChoiceTable), node i's architecture: D
//             choices of ceil(log2(most choices of a decision)) bits each, packed
//             into ceil(D * bits / 8) bytes (NB201: 6 x 3 bits = 3 bytes per node).
//             The prefix tree needs none: a node's partial architecture is the
//             choices along its path.
//   index   : NodeIndex in TreeCore, open addressing, uint32 per slot (node index
//             + 1, 0 = empty), load <= 3/4, keyed by Node::key: the transposition
//             table.
//
//   Prefix tree (node = partial architecture, edge = one decision):
//
//     [0 root, depth 0] first_child=1 num_children=5
//       ├─ [1 choice 0, depth 1] first_child=6 num_children=5 ─┬─ [6 ...] ...
//       ├─ [2 choice 1, depth 1] (not expanded)                 └─ ...
//       ...  children of a node are contiguous: first_child .. first_child+n-1
//     depth == num_decisions: a complete architecture (terminal), key = its
//     transposition key, entered in index_.
//
//   Edit tree (node = complete architecture, edge = change one decision):
//     one node per distinct transposition key, whichever path reached it; children
//     are the space's neighbours(), looked up in index_ on the fly, so re-rooting
//     at a new best architecture costs nothing and statistics are shared by
//     every path (a DAG in memory, a tree in each descent).
#include <cstdint>
#include <span>
#include <vector>

#include "space/architecture.h"

namespace mctsnas {

struct Node {
  uint64_t key = 0;           // transposition key (edit nodes, prefix terminals), 0 otherwise
  double value_sum = 0;       // sum of backed-up rewards (mean backup)
  float value_max = 0;        // best reward in the explored subtree (max backup); valid if visits>0
  uint32_t visits = 0;        // finished evaluations backed up through this node
  uint32_t in_flight = 0;     // trials in flight whose path passes here (virtual loss)
  uint32_t first_child = 0;   // prefix tree: index of the first child (0 = not expanded)
  uint16_t num_children = 0;  // prefix tree
  Choice choice = 0;          // prefix tree: the choice on the edge from the parent
  uint8_t flags = 0;          // kPending | kEvaluated | kFailed | kExhausted | kClosed
  uint8_t depth = 0;          // prefix: decisions fixed; edit: edits from the root it was found at
  uint16_t reserved = 0;

  static constexpr uint8_t kPending = 1;    // proposed, result not observed yet
  static constexpr uint8_t kEvaluated = 2;  // has its own result (maybe failed)
  static constexpr uint8_t kFailed = 4;     // its trial failed (reward NaN)
  static constexpr uint8_t kExhausted = 8;  // prefix: nothing left to propose below
  static constexpr uint8_t kClosed = 16;    // edit: every neighbour is known (evaluated or pending)
  bool has(uint8_t f) const { return (flags & f) != 0; }
};
static_assert(sizeof(Node) <= 64, "Node must stay within one cache line");
static_assert(sizeof(Node) == 40, "Node layout changed: update the diagram and checkpoint version");

// The edit tree's architectures, D choices per node, bit-packed (see the diagram).
class ChoiceTable {
 public:
  // max_choices: the most choices any decision has (1..65536).
  void init(size_t decisions, size_t max_choices) {
    d_ = decisions;
    bits_ = 1;
    while ((size_t{1} << bits_) < max_choices) ++bits_;
    mask_ = (uint64_t{1} << bits_) - 1;
    row_ = (d_ * bits_ + 7) / 8;
    data_.clear();
  }
  void append(std::span<const Choice> a) {
    uint64_t acc = 0;
    int have = 0;
    for (Choice c : a) {
      acc |= uint64_t{c} << have;
      have += bits_;
      for (; have >= 8; have -= 8, acc >>= 8) data_.push_back(static_cast<uint8_t>(acc));
    }
    if (have > 0) data_.push_back(static_cast<uint8_t>(acc));
  }
  // Node i's choices, decoded into `out` (D entries).
  void get(uint32_t i, Choice* out) const {
    const uint8_t* p = data_.data() + size_t{i} * row_;
    uint64_t acc = 0;
    int have = 0;
    for (size_t k = 0; k < d_; ++k) {
      for (; have < bits_; have += 8) acc |= uint64_t{*p++} << have;
      out[k] = static_cast<Choice>(acc & mask_);
      acc >>= bits_;
      have -= bits_;
    }
  }
  size_t bytes() const { return data_.size(); }
  size_t bytes_per_node() const { return row_; }
  // Raw bytes, for checkpoints; set_raw is false when they cannot hold `nodes` nodes.
  const std::vector<uint8_t>& raw() const { return data_; }
  bool set_raw(std::vector<uint8_t> raw, size_t nodes) {
    if (raw.size() != nodes * row_) return false;
    data_ = std::move(raw);
    return true;
  }

 private:
  size_t d_ = 0, row_ = 0;
  int bits_ = 1;
  uint64_t mask_ = 1;
  std::vector<uint8_t> data_;
};

// key -> node index. Keys are 64-bit hashes; equal keys are the same entry.
class NodeIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t find(uint64_t key, const std::vector<Node>& nodes) const {
    if (slots_.empty()) return kNone;
    const size_t mask = slots_.size() - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
      const uint32_t s = slots_[i];
      if (s == 0) return kNone;
      if (nodes[s - 1].key == key) return s - 1;
    }
  }
  // Precondition: key not present.
  void insert(uint64_t key, uint32_t node, const std::vector<Node>& nodes) {
    if ((count_ + 1) * 4 > slots_.size() * 3) grow(nodes);
    place(key, node);
    ++count_;
  }
  void clear() {
    slots_.clear();
    count_ = 0;
  }
  size_t count() const { return count_; }
  // Raw slots, for checkpoints (loading them skips a rebuild of the table).
  const std::vector<uint32_t>& slots() const { return slots_; }
  // False when the slots cannot be a table over `nodes` nodes.
  bool set_slots(std::vector<uint32_t> slots, size_t nodes) {
    if (!slots.empty() && (slots.size() & (slots.size() - 1)) != 0) return false;
    size_t count = 0;
    for (uint32_t s : slots) {
      if (s > nodes) return false;
      count += s != 0;
    }
    if (!slots.empty() && count * 4 > slots.size() * 3) return false;
    slots_ = std::move(slots);
    count_ = count;
    return true;
  }
  size_t bytes() const { return slots_.size() * sizeof(uint32_t); }

 private:
  static uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    return k ^ (k >> 33);
  }
  void place(uint64_t key, uint32_t node) {
    const size_t mask = slots_.size() - 1;
    size_t i = mix(key) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = node + 1;
  }
  void grow(const std::vector<Node>& nodes) {
    std::vector<uint32_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, 0);
    for (uint32_t s : old)
      if (s) place(nodes[s - 1].key, s - 1);
  }
  std::vector<uint32_t> slots_;
  size_t count_ = 0;
};

}  // namespace mctsnas
