#pragma once
// The objective's up-front constraints (max_params, max_flops) as the searchers
// receive them: the run's space narrowed by its cost model (space/constrained_space.h).
#include <memory>

#include "app/run_options.h"
#include "space/constrained_space.h"
#include "space/cost_model.h"

namespace mctsnas {

// The cost model of a run's space and task: the cells space's analytic one for a
// text task, a table's cost columns; nullptr where there is none.
std::unique_ptr<CostModel> make_cost_model(const RunOptions& options, const SearchSpace& space);

struct SearchedSpace {
  std::unique_ptr<CostModel> cost;                 // null when no up-front constraint is set
  std::unique_ptr<ConstrainedSpace> constrained;   // likewise
  // What the searchers walk: the constrained space, or the run's space itself.
  const SearchSpace& of(const SearchSpace& full) const {
    return constrained ? static_cast<const SearchSpace&>(*constrained) : full;
  }
};

// Throws Error, one line naming the bound and the smallest value the space reaches,
// when no architecture meets the constraints. `space` must outlive the result.
SearchedSpace constrain(const RunOptions& options, const SearchSpace& space);

}  // namespace mctsnas
