#pragma once
// Random search without replacement: uniform legal architectures, never one seen before.
#include "common/rng.h"
#include "search/searcher.h"
#include "search/transposition.h"

namespace mctsnas {

class RandomSearch final : public Searcher {
 public:
  RandomSearch(const SearchSpace& space, TranspositionKey key, uint64_t seed);
  std::string name() const override { return "random"; }
  std::vector<Proposal> propose(int k) override;
  void observe(const Proposal& p, double reward) override;
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;

 private:
  const SearchSpace& space_;
  TranspositionTable seen_;
  Rng rng_;
  uint64_t next_id_ = 0;
};

}  // namespace mctsnas
