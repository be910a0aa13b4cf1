#include "search/searcher_registry.h"

#include <iterator>

#include "common/error.h"
#include "search/search_options.h"
#include "search/searcher.h"

namespace mctsnas {

// Each entry is defined beside its searcher and listed here, rather than registered
// by a static initializer in its own file: a static library drops an object file
// nothing refers to (so its registrar would never run), and this list fixes the order
// in which configs, messages and benchmarks show the algorithms.
const SearcherInfo& mcts_searcher();
const SearcherInfo& random_searcher();
const SearcherInfo& evolution_searcher();
const SearcherInfo& local_searcher();

namespace {
const std::vector<const SearcherInfo*>& all() {
  static const std::vector<const SearcherInfo*> list = {
      &mcts_searcher(),
      &random_searcher(),
      &evolution_searcher(),
      &local_searcher(),
  };
  return list;
}
}  // namespace

std::span<const SearcherInfo* const> searchers() { return all(); }

const SearcherInfo* find_searcher(std::string_view name) {
  for (const SearcherInfo* s : all())
    if (s->name == name) return s;
  return nullptr;
}

std::vector<std::string> searcher_names() {
  std::vector<std::string> out;
  for (const SearcherInfo* s : all()) out.emplace_back(s->name);
  return out;
}

std::string searcher_names_text() {
  const auto& list = all();
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += i + 1 == list.size() ? " or " : ", ";
    out += list[i]->name;
  }
  return out;
}

std::unique_ptr<Searcher> make_searcher(const SearchOptions& options, const SearchSpace& space, uint64_t seed) {
  const SearcherInfo* s = find_searcher(options.algorithm);
  if (!s)
    throw Error("search.algorithm: unknown algorithm '" + options.algorithm + "' (expected " +
                searcher_names_text() + ")");
  return s->make(options, space, seed);
}

}  // namespace mctsnas
