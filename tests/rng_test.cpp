#include <catch2/catch.hpp>

#include "common/rng.h"

using namespace mctsnas;

TEST_CASE("Rng is reproducible from its seed and its saved state", "[rng]") {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 10; ++i) REQUIRE(a.next() == b.next());
  REQUIRE(a.next() != c.next());
  auto st = a.state();
  uint64_t x = a.next();
  a.set_state(st);
  REQUIRE(a.next() == x);
}

TEST_CASE("Rng::below is in range and covers it", "[rng]") {
  Rng r(1);
  std::vector<int> hits(7, 0);
  for (int i = 0; i < 7000; ++i) {
    uint64_t v = r.below(7);
    REQUIRE(v < 7);
    ++hits[v];
  }
  for (int h : hits) REQUIRE(h > 800);
}
