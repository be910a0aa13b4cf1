#include "search/pair_features.h"
#include "search/ridge_surrogate.h"
#include "search/surrogate.h"

namespace mctsnas {

std::unique_ptr<Surrogate> make_surrogate(SurrogateKind kind, const SearchSpace& space) {
  if (kind == SurrogateKind::none) return nullptr;
  return std::make_unique<RidgeSurrogate>(std::make_unique<DecisionPairFeatures>(
      space, 2048, DecisionPairFeatures::kMaxFeatures, DecisionPairFeatures::Overflow::drop_pairs,
      DecisionPairFeatures::Coding::treatment));
}

}  // namespace mctsnas
