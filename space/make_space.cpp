#include "common/error.h"
#include "space/categorical_space.h"
#include "space/cell_space.h"
#include "space/nb201_space.h"
#include "space/space_options.h"

namespace mctsnas {

std::unique_ptr<SearchSpace> make_space(const SpaceOptions& options) {
  if (options.kind == "nb201") return std::make_unique<Nb201Space>();
  if (options.kind == "categorical") return std::make_unique<CategoricalSpace>(options.categorical);
  if (options.kind == "cells") return std::make_unique<CellSpace>(options.cells);
  throw Error("space.kind: unknown space kind '" + options.kind + "' (expected nb201, categorical or cells)");
}

}  // namespace mctsnas
