#pragma once
// The `search:` section of the config.
#include <cstdint>
#include <memory>
#include <string>

namespace mctsnas {

class Searcher;
class SearchSpace;

// What makes two architectures "the same" for the transposition table:
// exact = same choices; canonical = same function (isomorphic cells).
enum class TranspositionKey { exact, canonical };

struct MctsOptions {
  std::string tree = "edit";           // edit | prefix
  std::string selection = "puct";      // puct | uct
  double exploration = 0.1;            // c in UCT/PUCT
  double virtual_loss = 1.0;           // visits added per in-flight trial on its path
  std::string backup = "mean";         // mean | max (bench/results/search_efficiency.md)
  std::string normalization = "rank";  // rank | minmax (rank: free of the metric's scale)
  std::string surrogate = "ridge";     // ridge | none (uniform priors)
  int max_depth = 6;                   // edit tree: edits below the root
  int initial_random = 10;             // random architectures before the tree starts
  double first_play = 1.0;             // Q of a child never evaluated (normalized scale 0..1)
  double prior_decay = 0.7;            // prior of the r-th ranked child (by surrogate) ~ decay^r
  double ucb_beta = 4.0;               // children ranked by surrogate mean + ucb_beta * its std
};

struct EvolutionOptions {
  int population = 10;
  // The whole population: on the NB201 table the strongest of a sweep of
  // population 10..50 x tournament 3..25 (bench/results/search_efficiency.md),
  // so the baseline MCTS is compared against is not a weak one.
  int tournament = 10;
  // How a child is drawn from the tournament winner. `decision`: one decision
  // uniformly among those that can change, then one of its legal alternatives
  // uniformly (Real et al. 2019, NASLib's NB201 mutation); `neighbour`: uniformly
  // over all one-edit neighbours, which favours decisions with many choices. The
  // two coincide when every decision has as many alternatives (NB201: 6 edges x 4
  // other ops), so `decision` is the default: the reference convention, and on a
  // mixed space a two-way decision is not starved by a fifty-way one.
  std::string mutation = "decision";          // decision | neighbour
  // Tournament members drawn without replacement (the default, stronger on NB201)
  // or with replacement as in Real et al.'s Algorithm 1 and NB201's R-EA code
  // (bench/results/search_efficiency.md measures both).
  std::string sampling = "without_replacement";  // without_replacement | with_replacement
};

struct LocalSearchOptions {
  int initial_samples = 10;            // start from the best of this many random
  std::string variant = "first";       // first | best (improvement)
};

struct SearchOptions {
  std::string algorithm = "mcts";      // mcts | random | evolution | local
  int64_t trials = 200;                // stop after this many finished trials
  int parallel = 1;                    // trials in flight at once
  bool deterministic = true;           // observe results in proposal order
  TranspositionKey transposition = TranspositionKey::exact;
  MctsOptions mcts;
  EvolutionOptions evolution;
  LocalSearchOptions local;
};

// seed: the run's seed. Throws Error for an unknown algorithm.
std::unique_ptr<Searcher> make_searcher(const SearchOptions& options, const SearchSpace& space,
                                        uint64_t seed);

}  // namespace mctsnas
