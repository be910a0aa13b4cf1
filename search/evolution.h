#pragma once
// Regularized (aging) evolution, Real et al. 2019: a population of the most recent
// `population` results; each child mutates (one legal edit) the best of
// `tournament` members drawn without replacement; the oldest member dies.
// Real et al.'s Algorithm 1 (and their code) draws WITH replacement: measured on
// NB201 (bench_search_efficiency, 300 seeds, P10 T5) that gives median 120
// evaluations to the optimum against 107.5 without, i.e. weaker selection, so
// the stronger variant stays (bench/results/search_efficiency.md).
#include <deque>

#include "common/rng.h"
#include "search/search_options.h"
#include "search/searcher.h"
#include "search/transposition.h"

namespace mctsnas {

class EvolutionSearch final : public Searcher {
 public:
  EvolutionSearch(const SearchSpace& space, const EvolutionOptions& options, TranspositionKey key,
                  uint64_t seed);
  std::string name() const override { return "evolution"; }
  std::vector<Proposal> propose(int k) override;
  void observe(const Proposal& p, double reward) override;
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;

 private:
  std::optional<Architecture> mutate_from_tournament();
  void add_member(Architecture a, double reward);

  struct Member {
    Architecture arch;
    double reward;
  };
  const SearchSpace& space_;
  EvolutionOptions options_;
  TranspositionTable seen_;
  Rng rng_;
  uint64_t next_id_ = 0;
  int64_t initial_proposed_ = 0;  // random members proposed to fill the first population
  std::deque<Member> population_;  // oldest first
};

}  // namespace mctsnas
