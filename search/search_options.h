#pragma once
// The `search:` section of the config.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/option_schema.h"
#include "search/searcher_registry.h"

namespace mctsnas {

// What makes two architectures "the same" for the transposition table:
// exact = same choices; canonical = same function (isomorphic cells).
enum class TranspositionKey { exact, canonical };
inline constexpr EnumName<TranspositionKey> kTranspositionKeyNames[] = {
    {"exact", TranspositionKey::exact}, {"canonical", TranspositionKey::canonical}};
constexpr std::span<const EnumName<TranspositionKey>> enum_names(TranspositionKey) {
  return kTranspositionKeyNames;
}

// The MCTS tree's shape: a node is a complete architecture and an edge one edit
// (edit), or a node is a partial architecture and an edge one decision (prefix).
enum class TreeShape { edit, prefix };
inline constexpr EnumName<TreeShape> kTreeShapeNames[] = {{"edit", TreeShape::edit},
                                                          {"prefix", TreeShape::prefix}};
constexpr std::span<const EnumName<TreeShape>> enum_names(TreeShape) { return kTreeShapeNames; }

enum class Selection { puct, uct };
inline constexpr EnumName<Selection> kSelectionNames[] = {{"puct", Selection::puct},
                                                          {"uct", Selection::uct}};
constexpr std::span<const EnumName<Selection>> enum_names(Selection) { return kSelectionNames; }

enum class Backup { max, mean };
inline constexpr EnumName<Backup> kBackupNames[] = {{"max", Backup::max}, {"mean", Backup::mean}};
constexpr std::span<const EnumName<Backup>> enum_names(Backup) { return kBackupNames; }

enum class Normalization { minmax, rank };
inline constexpr EnumName<Normalization> kNormalizationNames[] = {
    {"minmax", Normalization::minmax}, {"rank", Normalization::rank}};
constexpr std::span<const EnumName<Normalization>> enum_names(Normalization) {
  return kNormalizationNames;
}

// How the edit tree spreads the proposals made while trials are in flight
// (propose(k), or proposing while others run): virtual_loss alone, or also
// fantasy: each trial in flight counts in the surrogate as observed at its own
// predicted reward (GP-BUCB), so the uncertainty bonus of what resembles it shrinks.
enum class BatchMode { virtual_loss, fantasy };
inline constexpr EnumName<BatchMode> kBatchModeNames[] = {{"virtual_loss", BatchMode::virtual_loss},
                                                          {"fantasy", BatchMode::fantasy}};
constexpr std::span<const EnumName<BatchMode>> enum_names(BatchMode) { return kBatchModeNames; }

enum class SurrogateKind { ridge, none };
inline constexpr EnumName<SurrogateKind> kSurrogateKindNames[] = {{"ridge", SurrogateKind::ridge},
                                                                  {"none", SurrogateKind::none}};
constexpr std::span<const EnumName<SurrogateKind>> enum_names(SurrogateKind) {
  return kSurrogateKindNames;
}

enum class Mutation { decision, neighbour };
inline constexpr EnumName<Mutation> kMutationNames[] = {{"decision", Mutation::decision},
                                                        {"neighbour", Mutation::neighbour}};
constexpr std::span<const EnumName<Mutation>> enum_names(Mutation) { return kMutationNames; }

// How evolution picks parents in a Pareto search (objective.metrics): `scalarized`:
// by the reward ScalarizingSearcher gives each trial, like every other searcher;
// `nsga2`: the tournament goes to the lowest non-domination rank within the
// population, then the largest crowding distance (Deb et al. 2002). scalarized is the
// default: one trial at a time it is level with nsga2 at 50 and 100 evaluations and
// ahead at 300 on both objectives of bench/results/pareto_efficiency.md; nsga2 is
// ahead there in batches of 8 on NB201.
enum class ParetoSelection { scalarized, nsga2 };
inline constexpr EnumName<ParetoSelection> kParetoSelectionNames[] = {
    {"scalarized", ParetoSelection::scalarized}, {"nsga2", ParetoSelection::nsga2}};
constexpr std::span<const EnumName<ParetoSelection>> enum_names(ParetoSelection) { return kParetoSelectionNames; }

enum class TournamentSampling { without_replacement, with_replacement };
inline constexpr EnumName<TournamentSampling> kTournamentSamplingNames[] = {
    {"without_replacement", TournamentSampling::without_replacement},
    {"with_replacement", TournamentSampling::with_replacement}};
constexpr std::span<const EnumName<TournamentSampling>> enum_names(TournamentSampling) {
  return kTournamentSamplingNames;
}

enum class LocalVariant { first, best };   // first or best improvement
inline constexpr EnumName<LocalVariant> kLocalVariantNames[] = {{"first", LocalVariant::first},
                                                                {"best", LocalVariant::best}};
constexpr std::span<const EnumName<LocalVariant>> enum_names(LocalVariant) {
  return kLocalVariantNames;
}

struct MctsOptions {
  TreeShape tree = TreeShape::edit;
  Selection selection = Selection::puct;
  double exploration = 0.1;            // c in UCT/PUCT
  double virtual_loss = 1.0;           // visits added per in-flight trial on its path
  Backup backup = Backup::mean;  // (bench/results/search_efficiency.md)
  Normalization normalization = Normalization::rank;  // rank: free of the metric's scale
  SurrogateKind surrogate = SurrogateKind::ridge;    // none: uniform priors
  int max_depth = 6;                   // edit tree: edits below the root
  int initial_random = 10;             // random architectures before the tree starts
  double first_play = 1.0;             // Q of a child never evaluated (normalized scale 0..1)
  double prior_decay = 0.7;            // prior of the r-th ranked child (by surrogate) ~ decay^r
  double ucb_beta = 4.0;               // children ranked by surrogate mean + ucb_beta * its std
  BatchMode batch = BatchMode::virtual_loss;  // edit tree: trials in flight (search/mcts.h)
  // Edit tree, while trials are in flight: jump by the previous root's other
  // improving edits together (search/edit_tree.h). k = 1 never has any in flight.
  bool combine_edits = true;
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
  Mutation mutation = Mutation::decision;
  // Tournament members drawn without replacement (the default, stronger on NB201)
  // or with replacement as in Real et al.'s Algorithm 1 and NB201's R-EA code
  // (bench/results/search_efficiency.md measures both).
  TournamentSampling sampling = TournamentSampling::without_replacement;
  ParetoSelection pareto_selection = ParetoSelection::scalarized;
};

struct LocalSearchOptions {
  int initial_samples = 10;            // start from the best of this many random
  LocalVariant variant = LocalVariant::first;
};

struct SearchOptions {
  std::string algorithm = "mcts";      // a name in the searcher registry (search/searcher_registry.h)
  int64_t trials = 200;                // stop after this many finished trials
  int parallel = 1;                    // trials in flight at once
  bool deterministic = true;           // observe results in proposal order
  TranspositionKey transposition = TranspositionKey::exact;
  MctsOptions mcts;
  EvolutionOptions evolution;
  LocalSearchOptions local;
};

// The config keys of each struct (common/option_schema.h; app/ reads and writes them).
template <class V> void bind_fields(V& v, MctsOptions& o) {
  using namespace config;
  v.field("tree", o.tree);
  v.field("selection", o.selection);
  v.field("exploration", o.exploration, min(0));
  v.field("virtual_loss", o.virtual_loss, min(0));
  v.field("backup", o.backup);
  v.field("normalization", o.normalization);
  v.field("surrogate", o.surrogate);
  v.field("max_depth", o.max_depth, min(1).max(255));
  v.field("initial_random", o.initial_random, min(0));
  v.field("first_play", o.first_play, range(-10, 10));
  v.field("prior_decay", o.prior_decay, range(0.01, 1));
  v.field("ucb_beta", o.ucb_beta, min(0));
  v.field("batch", o.batch);
  v.field("combine_edits", o.combine_edits);
}
template <class V> void bind_fields(V& v, EvolutionOptions& o) {
  using namespace config;
  v.field("population", o.population, min(2));
  v.field("tournament", o.tournament, min(1));   // <= population: checked by the loader
  v.field("mutation", o.mutation);
  v.field("sampling", o.sampling);
  v.field("pareto_selection", o.pareto_selection);
}
template <class V> void bind_fields(V& v, LocalSearchOptions& o) {
  using namespace config;
  v.field("initial_samples", o.initial_samples, min(1));
  v.field("variant", o.variant);
}
template <class V> void bind_fields(V& v, SearchOptions& o) {
  using namespace config;
  v.field("algorithm", o.algorithm, one_of(searcher_names()));
  v.field("trials", o.trials, min(1));
  v.field("parallel", o.parallel, min(1).max(4096));
  v.field("deterministic", o.deterministic);
  v.field("transposition", o.transposition);
  VisitorRef<V> each(v);   // each algorithm's own section, in registry order
  for (const SearcherInfo* s : searchers())
    if (s->bind) s->bind(each, o);
}


}  // namespace mctsnas
