#pragma once
// Multi-objective search through any Searcher (MCTS, evolution, local, random).
//
// Each finished trial's objective vector becomes one reward, fixed when the trial is
// observed (so resume is exact), from the trials observed before it:
//   - a trial no earlier trial dominates gets 1, plus 1e-9 per earlier trial, so the
//     newest of them has the best reward: MCTS roots its edit tree at the best reward,
//     and the root follows the front as it grows;
//   - a dominated trial gets minus the share of the observed trials that dominate it
//     (-1 < r < 0), so "nearly on the front" ranks above "far behind it".
// The trees, populations and surrogates of the single-objective searchers then work
// unchanged. Chosen over ParEGO's random-weight Chebyshev scalarization and the
// hypervolume a trial adds by bench/results/pareto_efficiency.md. The observed vectors
// are part of save().
#include <memory>
#include <span>
#include <vector>

#include "search/pareto.h"
#include "search/searcher.h"

namespace mctsnas {

// `searcher` itself when it takes_objectives() (evolution: NSGA-II-style selection),
// else `searcher` wrapped in a ScalarizingSearcher.
std::unique_ptr<Searcher> make_pareto_searcher(std::unique_ptr<Searcher> searcher, int objectives);

class ScalarizingSearcher final : public Searcher {
 public:
  // objectives >= 2.
  ScalarizingSearcher(std::unique_ptr<Searcher> inner, int objectives);
  std::string name() const override { return inner_->name(); }
  std::vector<Proposal> propose(int k) override { return inner_->propose(k); }
  // A scalar has no components to scalarize: only a failed trial (NaN) may come here.
  void observe(const Proposal& p, double reward) override;
  bool takes_objectives() const override { return true; }
  // Any NaN among the rewards: the trial failed.
  void observe_objectives(const Proposal& p, std::span<const double> rewards) override;
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;
  SearchStats stats() const override { return inner_->stats(); }

 private:
  // The reward of `y` against the trials observed so far (y not among them yet).
  double reward_of(std::span<const double> y) const;

  std::unique_ptr<Searcher> inner_;
  int objectives_;
  std::vector<Objectives> observed_;   // every finished trial's vector, in observation order
};

}  // namespace mctsnas
