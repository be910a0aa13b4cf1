#include <catch2/catch.hpp>

#include <set>

#include "common/error.h"
#include "search/evolution.h"
#include "search_test_util.h"
#include "space/nb201_space.h"

using namespace mctsnas;
using namespace mctsnas::testing;

namespace {
int differing(const Architecture& a, const Architecture& b) {
  int d = 0;
  for (size_t i = 0; i < a.choices.size(); ++i) d += a.choices[i] != b.choices[i];
  return d;
}
}  // namespace

TEST_CASE("evolution: random population first, then one-edit mutations of members", "[evolution]") {
  Nb201Space space;
  EvolutionOptions o{10, 3};
  EvolutionSearch s(space, o, TranspositionKey::exact, 4);
  auto all = drive(s, 60, 1);
  REQUIRE(all.size() == 60);
  std::set<std::vector<Choice>> distinct;
  for (auto& p : all) distinct.insert(p.arch.choices);
  CHECK(distinct.size() == 60);
  // Every child after the first population is one edit away from an earlier
  // proposal (its parent; a repeat re-enters the population, so it may be old).
  for (size_t i = 10; i < all.size(); ++i) {
    bool has_parent = false;
    for (size_t j = 0; j < i; ++j) has_parent |= differing(all[i].arch, all[j].arch) == 1;
    CHECK(has_parent);
  }
}

TEST_CASE("evolution: options are checked", "[evolution]") {
  Nb201Space space;
  CHECK_THROWS_AS(EvolutionSearch(space, EvolutionOptions{5, 6}, TranspositionKey::exact, 1), Error);
  CHECK_THROWS_AS(EvolutionSearch(space, EvolutionOptions{0, 1}, TranspositionKey::exact, 1), Error);
}

TEST_CASE("evolution: exhausts a tiny space without repeats, with failures and k > 1", "[evolution]") {
  TinySpace space({2, 3, 2});
  for (int k : {1, 5}) {
    EvolutionSearch s(space, EvolutionOptions{4, 2}, TranspositionKey::exact, 11);
    auto all = drive_to_exhaustion(s, k, [](const Architecture& a) { return a.choices[1] == 2; });
    std::set<std::vector<Choice>> distinct;
    for (auto& p : all) distinct.insert(p.arch.choices);
    CHECK(all.size() == 12);
    CHECK(distinct.size() == 12);
    CHECK(s.propose(k).empty());
  }
}

TEST_CASE("evolution: save/load mid-run continues identically", "[evolution]") {
  Nb201Space space;
  for (int k : {1, 4})
    check_resume_identical(
        [&] { return std::make_unique<EvolutionSearch>(space, EvolutionOptions{10, 5}, TranspositionKey::exact, 3); },
        40, 13, k);
}
