// The searcher registry: every registered algorithm passes the same generic checks
// on NB201 (propose/observe, distinct proposals, save/load resumes exactly), built
// the way a run builds it (make_searcher from a loaded config), so a new entry is
// covered without writing a test for it here.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "app/config_loader.h"
#include "search/searcher_registry.h"
#include "search_test_util.h"
#include "space/nb201_space.h"

using namespace mctsnas;
using namespace mctsnas::testing;

namespace {

SearchOptions options_for(std::string_view name) {
  RunOptions o = load_config_text("task: {table: t.csv}\nsearch: {algorithm: " + std::string(name) + "}\n",
                                  "registry.yaml");
  return o.search;
}

}  // namespace

TEST_CASE("registry: names are unique, described and the config accepts each", "[registry]") {
  REQUIRE(searchers().size() >= 4);
  std::set<std::string> names;
  for (const SearcherInfo* s : searchers()) {
    INFO(s->name);
    CHECK(names.insert(std::string(s->name)).second);
    CHECK(!s->description.empty());
    CHECK(s->description.find('\n') == std::string_view::npos);
    CHECK(find_searcher(s->name) == s);
    CHECK(options_for(s->name).algorithm == s->name);
  }
  CHECK(find_searcher("grid") == nullptr);
  // In list order: "mcts, random, evolution, ... or NAME".
  const std::string text = searcher_names_text();
  CHECK(text.rfind("mcts, random, evolution", 0) == 0);
  CHECK(text.ends_with(" or " + std::string(searchers().back()->name)));
  SearchOptions bad;
  bad.algorithm = "grid";
  Nb201Space space;
  CHECK_THROWS_WITH(make_searcher(bad, space, 1),
                    "search.algorithm: unknown algorithm 'grid' (expected " + text + ")");
  CHECK_THROWS_WITH(load_config_text("search: {algorithm: grid}\n", "c.yaml"),
                    Catch::Contains("(expected one of: mcts, random, evolution, "));
}

TEST_CASE("registry: every searcher proposes distinct architectures and resumes exactly on NB201", "[registry]") {
  Nb201Space space;
  for (const SearcherInfo* s : searchers()) {
    INFO(s->name);
    const SearchOptions o = options_for(s->name);
    auto searcher = make_searcher(o, space, 7);
    CHECK(searcher->name() == s->name);
    // Nothing is in flight at each propose (drive observes every result first), so
    // each round proposes at least one; local search may stop short of k to climb.
    auto all = drive(*searcher, 40, 3);
    REQUIRE(all.size() >= 40);
    std::set<std::string> keys;
    for (size_t i = 0; i < all.size(); ++i) {
      CHECK(all[i].id == i);
      CHECK(space.is_legal(all[i].arch));
      keys.insert(space.key(all[i].arch));
    }
    CHECK(keys.size() == all.size());
    for (int k : {1, 4})
      check_resume_identical([&] { return make_searcher(o, space, 11); }, 30, 12, k);
  }
}
