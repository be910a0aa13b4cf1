#pragma once
// Regularized (aging) evolution, Real et al. 2019: a population of the most recent
// `population` results; each child mutates (one legal edit, see
// EvolutionOptions::mutation) the best of `tournament` members; the oldest dies.
// Members are drawn without replacement by default; Real et al.'s Algorithm 1 (and
// NB201's R-EA code) draw WITH replacement (`sampling: with_replacement`), which on
// NB201 is weaker (less selection pressure; bench/results/search_efficiency.md).
//
// In a Pareto search with pareto_selection: nsga2 (observe_objectives) a tournament is
// won as in NSGA-II (Deb et al. 2002): the lowest non-domination rank within the
// population, then the largest crowding distance; everything else (aging, mutation,
// repeats) stays. With scalarized (the default) it runs wrapped like the others.
#include <deque>
#include <span>
#include <unordered_map>

#include "common/rng.h"
#include "search/pareto.h"
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
  bool takes_objectives() const override { return options_.pareto_selection == ParetoSelection::nsga2; }
  void observe_objectives(const Proposal& p, std::span<const double> rewards) override;
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;

 private:
  std::optional<Architecture> mutate_from_tournament();
  size_t tournament_winner();  // index into population_
  // Whether member c wins a tournament against member best (NSGA-II keys in a Pareto search).
  bool beats(size_t c, size_t best, const std::vector<int>& ranks, const std::vector<double>& crowding) const;
  size_t pick_mutation(const Architecture& parent, const std::vector<Architecture>& nbrs);
  void add_member(Architecture a, double reward, Objectives objectives = {});
  void save_objectives(ByteWriter& out) const;
  void load_objectives(ByteReader& in);

  struct Member {
    Architecture arch;
    double reward;
    Objectives objectives;   // a Pareto search's; empty otherwise
  };
  const SearchSpace& space_;
  EvolutionOptions options_;
  TranspositionTable seen_;
  Rng rng_;
  uint64_t next_id_ = 0;
  int64_t initial_proposed_ = 0;  // random members proposed to fill the first population
  std::deque<Member> population_;  // oldest first
  // A Pareto search: objectives per metric (0: not one), and every result by its
  // transposition key, for a repeated child that rejoins the population.
  uint32_t objectives_ = 0;
  std::unordered_map<uint64_t, Objectives> known_;
};

}  // namespace mctsnas
