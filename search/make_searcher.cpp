#include "common/error.h"
#include "search/evolution.h"
#include "search/local_search.h"
#include "search/mcts.h"
#include "search/random_search.h"
#include "search/search_options.h"

namespace mctsnas {

std::unique_ptr<Searcher> make_searcher(const SearchOptions& options, const SearchSpace& space,
                                        uint64_t seed) {
  if (options.algorithm == "mcts") return std::make_unique<Mcts>(space, options.mcts, options.transposition, seed);
  if (options.algorithm == "random")
    return std::make_unique<RandomSearch>(space, options.transposition, seed);
  if (options.algorithm == "evolution")
    return std::make_unique<EvolutionSearch>(space, options.evolution, options.transposition, seed);
  if (options.algorithm == "local")
    return std::make_unique<LocalSearch>(space, options.local, options.transposition, seed);
  throw Error("search.algorithm: unknown algorithm '" + options.algorithm +
              "' (expected mcts, random, evolution or local)");
}

}  // namespace mctsnas
