#pragma once
// Hill climbing over one-edit neighbours. Start (and restart, when no neighbour
// improves) from the best of `initial_samples` random architectures; `first`
// moves to the first better neighbour found (neighbours in random order),
// `best` evaluates the whole neighbourhood and moves to its best.
// Known results (evaluated earlier) are reused, never re-proposed.
#include <optional>

#include "common/rng.h"
#include "search/search_options.h"
#include "search/searcher.h"
#include "search/transposition.h"

namespace mctsnas {

class LocalSearch final : public Searcher {
 public:
  LocalSearch(const SearchSpace& space, const LocalSearchOptions& options, TranspositionKey key,
              uint64_t seed);
  std::string name() const override { return "local"; }
  std::vector<Proposal> propose(int k) override;
  void observe(const Proposal& p, double reward) override;
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;

 private:
  void move_to(const Architecture& a, double reward);
  void consider(const Architecture& a, double reward);  // a result for the current phase
  void restart();

  enum class Phase : uint8_t { sampling, climbing };
  const SearchSpace& space_;
  LocalSearchOptions options_;
  bool first_improvement_;
  TranspositionTable seen_;
  Rng rng_;
  uint64_t next_id_ = 0;
  int64_t in_flight_ = 0;
  Phase phase_ = Phase::sampling;
  int64_t samples_left_ = 0;
  std::optional<Architecture> candidate_;  // sampling: best sample; climbing(best): best neighbour
  double candidate_reward_ = NAN;
  std::optional<Architecture> current_;
  double current_reward_ = NAN;
  std::vector<Architecture> queue_;  // neighbours of current_ not yet tried, next at back
};

}  // namespace mctsnas
