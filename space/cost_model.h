#pragma once
// What an architecture costs before it is trained: its parameter count and forward
// FLOPs. A cells space has an analytic model (space/cell_cost.h); a table may name
// columns that hold the costs (evaluator/table_cost.h). The objective's constraints
// use it to keep the searchers off the architectures they forbid
// (space/constrained_space.h).
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "space/architecture.h"

namespace mctsnas {

enum class CostKind : uint8_t { params, flops };
inline constexpr CostKind kCostKinds[] = {CostKind::params, CostKind::flops};
inline std::string_view cost_name(CostKind k) { return k == CostKind::params ? "params" : "flops"; }

class CostModel {
 public:
  virtual ~CostModel() = default;
  // Whether this model knows costs of kind k (a table may hold only a params column).
  virtual bool knows(CostKind k) const = 0;
  // A lower bound on the cost of every legal completion of `prefix` (each bound on its
  // own: the cheapest completion in params may differ from the cheapest in FLOPs).
  // For a complete architecture it is the exact cost; a partial one may sit a
  // rounding margin (1e-12 relative) below the exact cost of its cheapest completion.
  // +infinity when no completion has a known cost (a table without the row).
  virtual double lower_bound(CostKind k, std::span<const Choice> prefix) const = 0;
};

}  // namespace mctsnas
