#pragma once
// The costs a table records (task.cost_columns): each row's params and/or FLOPs, for
// the objective's up-front constraints (space/constrained_space.h). An architecture
// the table has no row for has no known cost, so a constrained search never proposes
// it (the table could not score it either).
#include <filesystem>
#include <string>
#include <unordered_map>

#include "evaluator/task_options.h"
#include "space/cost_model.h"
#include "space/search_space.h"

namespace mctsnas {

class TableCostModel final : public CostModel {
 public:
  // Reads the cost columns of the CSV at `path`; Error naming the file, line and
  // column for a missing column, a key the space cannot read or a cost that is not a
  // number >= 0.
  TableCostModel(const SearchSpace& space, const std::filesystem::path& path, const std::string& key_column,
                 const CostColumns& columns);
  bool knows(CostKind k) const override { return known_[static_cast<size_t>(k)]; }
  double lower_bound(CostKind k, std::span<const Choice> prefix) const override;

 private:
  bool known_[2] = {false, false};
  // Per kind: the smallest cost below each prefix of a row, keyed by the prefix's exact hash.
  std::unordered_map<uint64_t, double> least_[2];
};

}  // namespace mctsnas
