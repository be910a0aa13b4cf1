#include "common/error.h"
#include "search/random_search.h"
#include "search/search_options.h"

namespace mctsnas {

std::unique_ptr<Searcher> make_searcher(const SearchOptions& options, const SearchSpace& space,
                                        uint64_t seed) {
  if (options.algorithm == "random")
    return std::make_unique<RandomSearch>(space, options.transposition, seed);
  throw Error("search.algorithm: unknown algorithm '" + options.algorithm +
              "' (expected mcts, random, evolution or local)");
}

}  // namespace mctsnas
