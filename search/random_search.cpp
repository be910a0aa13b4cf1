#include "search/random_search.h"

#include "search/search_options.h"

namespace mctsnas {

RandomSearch::RandomSearch(const SearchSpace& space, TranspositionKey key, uint64_t seed)
    : space_(space), seen_(space, key), rng_(seed) {}

std::vector<Proposal> RandomSearch::propose(int k) {
  std::vector<Proposal> out;
  // Rejection sampling; a long run of repeats means the space is (nearly) exhausted.
  int misses = 0;
  while (static_cast<int>(out.size()) < k && misses < 100000) {
    Architecture a = space_.random(rng_);
    if (!seen_.insert_pending(a)) {
      ++misses;
      continue;
    }
    misses = 0;
    out.push_back(Proposal{next_id_++, std::move(a)});
  }
  return out;
}

void RandomSearch::observe(const Proposal& p, double reward) { seen_.set_reward(p.arch, reward); }

void RandomSearch::save(ByteWriter& out) const {
  out.put(rng_.state());
  out.put(next_id_);
  seen_.save(out);
}

void RandomSearch::load(ByteReader& in) {
  rng_.set_state(in.get<std::array<uint64_t, 4>>());
  next_id_ = in.get<uint64_t>();
  seen_.load(in);
}

const SearcherInfo& random_searcher() {
  static const SearcherInfo info{
      "random", "uniform legal architectures, none proposed twice",
      [](const SearchOptions& o, const SearchSpace& space, uint64_t seed) -> std::unique_ptr<Searcher> {
        return std::make_unique<RandomSearch>(space, o.transposition, seed);
      }};
  return info;
}

}  // namespace mctsnas
