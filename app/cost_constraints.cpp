#include "app/cost_constraints.h"

#include "common/error.h"
#include "evaluator/table_cost.h"
#include "evaluator/task_dims.h"
#include "space/cell_cost.h"

namespace mctsnas {

std::unique_ptr<CostModel> make_cost_model(const RunOptions& o, const SearchSpace& space) {
  const CostColumns& cols = o.task.cost_columns;
  if (o.task.kind == "table") {
    if (cols.params.empty() && cols.flops.empty()) return nullptr;
    return std::make_unique<TableCostModel>(space, o.task.table, o.task.key_column, cols);
  }
  const auto* cells = dynamic_cast<const CellSpace*>(&space);
  const auto dims = task_model_dims(o.task);
  if (!cells || !dims) return nullptr;
  return std::make_unique<CellCostModel>(*cells, *dims);
}

SearchedSpace constrain(const RunOptions& o, const SearchSpace& space) {
  const ConstraintOptions& c = o.objective.constraints;
  const CostBounds bounds{c.max_params, c.max_flops};
  SearchedSpace out;
  if (!bounds.any()) return out;
  out.cost = make_cost_model(o, space);
  for (CostKind k : kCostKinds)
    if (bounds.of(k) && (!out.cost || !out.cost->knows(k)))   // the loader refuses these configs
      throw Error("objective.constraints.max_" + std::string(cost_name(k)) + ": the " + space.kind() + " space with task.kind " +
                  o.task.kind + " has no " + std::string(cost_name(k)) + " cost model");
  out.constrained = std::make_unique<ConstrainedSpace>(space, *out.cost, bounds);
  return out;
}

}  // namespace mctsnas
