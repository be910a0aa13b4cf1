#include "common/error.h"
#include "space/categorical_space.h"
#include "space/cell_space.h"
#include "space/nb201_space.h"
#include "space/space_options.h"

namespace mctsnas {

std::unique_ptr<SearchSpace> make_space(const SpaceOptions& options) {
  switch (options.kind) {
    case SpaceKind::nb201: return std::make_unique<Nb201Space>();
    case SpaceKind::categorical: return std::make_unique<CategoricalSpace>(options.categorical);
    case SpaceKind::cells: return std::make_unique<CellSpace>(options.cells);
  }
  MCTSNAS_CHECK(false, "make_space: a space kind without a case");
  return nullptr;
}

}  // namespace mctsnas
