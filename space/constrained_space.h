#pragma once
// A search space narrowed to the architectures that meet the objective's up-front
// constraints (objective.constraints.max_params, max_flops), judged by a cost model
// (space/cost_model.h). The searchers receive it in place of the space when such a
// constraint is set, so every one of them proposes only architectures that meet it,
// through this one predicate (`feasible`):
//  - legal_choices drops a choice once the cheapest completion of the prefix with it
//    already breaks a bound: the prefix tree never grows those subtrees and a random
//    walk never enters them;
//  - neighbours drops the edits that break a bound (edit tree, local search, mutation);
//  - random walks the remaining choices, and walks again (seeded, bounded) when a
//    walk ends where no choice is left: with both bounds set, the cheapest completion
//    in params and the cheapest in FLOPs may be different architectures.
// Keys, hashes and decisions are the base space's, so trials, checkpoints and tables
// read the same. Constraints that need a measurement (max_latency_ms) stay with the
// evaluator, which records a trial that breaks one as `infeasible`.
#include <optional>

#include "space/cost_model.h"
#include "space/search_space.h"

namespace mctsnas {

struct CostBounds {
  std::optional<double> max_params, max_flops;
  const std::optional<double>& of(CostKind k) const { return k == CostKind::params ? max_params : max_flops; }
  bool any() const { return max_params || max_flops; }
};

class ConstrainedSpace final : public SearchSpace {
 public:
  // Throws Error, one line naming the bound and the smallest value the space can
  // reach, when no legal architecture meets the bounds. `base` and `cost` must
  // outlive it.
  ConstrainedSpace(const SearchSpace& base, const CostModel& cost, const CostBounds& bounds);

  std::string kind() const override { return base_.kind(); }
  void legal_choices(std::span<const Choice> prefix, std::vector<Choice>& out) const override;
  std::vector<Architecture> neighbours(const Architecture& a) const override;
  void append_neighbours(std::span<const Choice> a, std::vector<Choice>& out) const override;
  uint64_t canonical_hash(const Architecture& a) const override { return base_.canonical_hash(a); }
  std::string key(const Architecture& a) const override { return base_.key(a); }
  std::optional<Architecture> parse_key(std::string_view key) const override { return base_.parse_key(key); }
  Architecture random(Rng& rng) const override;
  // The architectures that meet the bounds: counted where the base space holds at
  // most a million, else estimated from random walks (SpaceSize::walks).
  SpaceSize size() const override;

  // Whether some legal completion of `prefix` may meet every bound (for a complete
  // architecture: whether it meets them).
  bool feasible(std::span<const Choice> prefix) const;
  const SearchSpace& base() const { return base_; }

 private:
  // Throws when a bound is below the space's smallest value of its kind, or (both
  // set) when no architecture meets both.
  void check_reachable() const;

  const SearchSpace& base_;
  const CostModel& cost_;
  CostBounds bounds_;
};

// The smallest cost of kind k over the legal architectures of `space`, by branch
// and bound on the cost model's lower bounds; `exact` is false when the search
// stopped at its node budget (then the value is the smallest found).
double smallest_cost(const SearchSpace& space, const CostModel& cost, CostKind k, bool& exact);

}  // namespace mctsnas
