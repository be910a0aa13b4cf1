#pragma once
// Multi-objective search through any Searcher (MCTS, evolution, local, random).
//
// Each finished trial's objective vector becomes one reward by an augmented
// Chebyshev scalarization under a weight vector of its own, as ParEGO does
// (Knowles 2006): the weights are drawn uniformly on the simplex from the trial id
// and the seed, so successive trials pull towards different parts of the front and
// the trees, populations and surrogates of the single-objective searchers work
// unchanged. Each component is first normalized to its shortfall from the best value
// observed so far, divided by the range observed so far, so units (errors against
// parameter counts) do not matter. A reward is fixed when its trial is observed,
// which keeps resume exact; the observed ranges are part of save().
#include <memory>
#include <span>
#include <vector>

#include "search/searcher.h"

namespace mctsnas {

class ScalarizingSearcher final : public Searcher {
 public:
  // objectives >= 2; seed: the run's seed (weights are a function of it and the id).
  ScalarizingSearcher(std::unique_ptr<Searcher> inner, int objectives, uint64_t seed);
  std::string name() const override { return inner_->name(); }
  std::vector<Proposal> propose(int k) override { return inner_->propose(k); }
  // A scalar has no components to scalarize: only a failed trial (NaN) may come here.
  void observe(const Proposal& p, double reward) override;
  // rewards: one per objective, higher is better; any NaN: the trial failed.
  void observe_objectives(const Proposal& p, std::span<const double> rewards);
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;
  SearchStats stats() const override { return inner_->stats(); }

  // The trial's weights (positive, summing to 1) and the reward it would get now.
  std::vector<double> weights(uint64_t id) const;
  double scalarize(uint64_t id, std::span<const double> rewards) const;
  const Searcher& inner() const { return *inner_; }

 private:
  std::unique_ptr<Searcher> inner_;
  int objectives_;
  uint64_t seed_;
  std::vector<std::vector<double>> seen_;   // per objective: the observed values, ascending
};

}  // namespace mctsnas
