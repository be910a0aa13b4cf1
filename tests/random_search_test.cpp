#include <catch2/catch.hpp>

#include <set>

#include "search/random_search.h"
#include "search_test_util.h"
#include "space/nb201_space.h"

using namespace mctsnas;
using namespace mctsnas::testing;

TEST_CASE("random search: exhausts a tiny space without repeats, with failures and k > 1", "[random]") {
  TinySpace space({2, 3, 2});
  for (int k : {1, 5}) {
    RandomSearch s(space, TranspositionKey::exact, 11);
    auto all = drive_to_exhaustion(s, k, [](const Architecture& a) { return a.choices[2] == 0; });
    std::set<std::vector<Choice>> distinct;
    for (auto& p : all) distinct.insert(p.arch.choices);
    CHECK(all.size() == 12);
    CHECK(distinct.size() == 12);
    CHECK(s.propose(k).empty());
  }
}

TEST_CASE("random search: save/load mid-run continues identically", "[random]") {
  Nb201Space space;
  check_resume_identical([&] { return std::make_unique<RandomSearch>(space, TranspositionKey::exact, 3); }, 30,
                         11, 3);
}
