#pragma once
// The set of architectures already evaluated or in flight, keyed by the exact or
// canonical hash, with the reward each got. Shared by every algorithm so that no
// architecture is ever trained twice.
#include <cmath>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "common/binary_io.h"
#include "search/search_options.h"
#include "space/search_space.h"

namespace mctsnas {

class TranspositionTable {
 public:
  TranspositionTable(const SearchSpace& space, TranspositionKey key) : space_(&space), key_(key) {}

  uint64_t key(const Architecture& a) const {
    return key_ == TranspositionKey::canonical ? space_->canonical_hash(a) : exact_hash(a.choices);
  }
  bool contains(const Architecture& a) const { return entries_.count(key(a)) > 0; }
  // Marks in flight; false when already known (evaluated or in flight).
  bool insert_pending(const Architecture& a) { return entries_.emplace(key(a), kPending).second; }
  void set_reward(const Architecture& a, double reward) { entries_[key(a)] = reward; }
  // nullopt: unknown or in flight; NaN: evaluated and failed.
  std::optional<double> reward(const Architecture& a) const {
    auto it = entries_.find(key(a));
    if (it == entries_.end() || is_pending(it->second)) return std::nullopt;
    return it->second;
  }
  bool pending(const Architecture& a) const {
    auto it = entries_.find(key(a));
    return it != entries_.end() && is_pending(it->second);
  }
  size_t size() const { return entries_.size(); }

  void save(ByteWriter& out) const;
  void load(ByteReader& in);

 private:
  // A reward no evaluation produces: +inf marks "in flight".
  static constexpr double kPending = HUGE_VAL;
  static bool is_pending(double v) { return v == kPending; }
  const SearchSpace* space_;
  TranspositionKey key_;
  std::unordered_map<uint64_t, double> entries_;
};

}  // namespace mctsnas
