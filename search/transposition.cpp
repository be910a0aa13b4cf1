#include "search/transposition.h"

#include <algorithm>
#include <vector>

namespace mctsnas {

void TranspositionTable::save(ByteWriter& out) const {
  // Sorted so that the same state always gives the same bytes.
  std::vector<uint64_t> keys;
  keys.reserve(entries_.size());
  for (const auto& [k, v] : entries_) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  std::vector<double> values;
  values.reserve(keys.size());
  for (uint64_t k : keys) values.push_back(entries_.at(k));
  out.put_vector(keys);
  out.put_vector(values);
}

void TranspositionTable::load(ByteReader& in) {
  auto keys = in.get_vector<uint64_t>();
  auto values = in.get_vector<double>();
  if (keys.size() != values.size()) in.fail("transposition table keys and values differ in length");
  entries_.clear();
  entries_.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) entries_.emplace(keys[i], values[i]);
}

}  // namespace mctsnas
