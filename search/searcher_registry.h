#pragma once
// Every search algorithm, by the name a config gives in `search.algorithm`. An entry
// holds what the rest of the program needs to know about one algorithm: how to build
// it, which section of `search:` holds its options (bound once, like any options
// struct: common/option_schema.h) and one line saying what it is. make_searcher, the
// config's allowed values and messages, `validate --resolved` and the benchmark's
// algorithm list all come from here. DESIGN.md, "Adding a search algorithm".
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/option_schema.h"

namespace mctsnas {

class Searcher;
class SearchSpace;
struct SearchOptions;

struct SearcherInfo {
  std::string_view name;
  std::string_view description;   // one line
  // Builds it from validated options; seed is the run's seed.
  std::unique_ptr<Searcher> (*make)(const SearchOptions& options, const SearchSpace& space, uint64_t seed);
  // Binds its options section (e.g. `v.field("mcts", o.mcts)`); nullptr: it has none.
  void (*bind)(config::FieldVisitor& v, SearchOptions& o) = nullptr;
};

// In the order of the list in searcher_registry.cpp: the order of lists and messages.
std::span<const SearcherInfo* const> searchers();
// nullptr for an unknown name.
const SearcherInfo* find_searcher(std::string_view name);
std::vector<std::string> searcher_names();
// "mcts, random, evolution or local": the names for a message.
std::string searcher_names_text();

// The searcher options.algorithm names; throws Error for an unknown name (a loaded
// config never has one).
std::unique_ptr<Searcher> make_searcher(const SearchOptions& options, const SearchSpace& space,
                                        uint64_t seed);

}  // namespace mctsnas
