#include "common/error.h"
#include "search/pair_features.h"
#include "search/ridge_surrogate.h"
#include "search/surrogate.h"

namespace mctsnas {

std::unique_ptr<Surrogate> make_surrogate(const std::string& name, const SearchSpace& space) {
  if (name == "none") return nullptr;
  if (name == "ridge")
    return std::make_unique<RidgeSurrogate>(std::make_unique<DecisionPairFeatures>(
        space, 2048, DecisionPairFeatures::kMaxFeatures, DecisionPairFeatures::Overflow::drop_pairs,
        DecisionPairFeatures::Coding::treatment));
  throw Error("search.mcts.surrogate: unknown surrogate '" + name + "' (expected ridge or none)");
}

}  // namespace mctsnas
