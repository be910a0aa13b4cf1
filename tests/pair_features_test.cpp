#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "app/config_loader.h"
#include "common/rng.h"
#include "search/pair_features.h"
#include "search_test_util.h"
#include "space/nb201_space.h"
#include "space/space_options.h"

using namespace mctsnas;
using namespace mctsnas::testing;

TEST_CASE("pair features: one-hot per decision plus per pair", "[pair_features]") {
  TinySpace space({3, 3, 2});
  DecisionPairFeatures f(space);
  CHECK(f.all_pairs());
  CHECK(f.size() == 8 + 9 + 6 + 6);
  std::vector<uint32_t> act;
  f.active(Architecture{{2, 1, 0}}, act);
  CHECK(act == std::vector<uint32_t>{2, 4, 6, 8 + 7, 17 + 4, 23 + 2});
  DecisionPairFeatures few(space, 20);  // too many for all pairs: consecutive only
  CHECK_FALSE(few.all_pairs());
  CHECK(few.size() == 8 + 9 + 6);
}

TEST_CASE("pair features: the feature count is bounded on every space", "[pair_features]") {
  const size_t bound = DecisionPairFeatures::kMaxFeatures;
  std::vector<uint32_t> act;
  SECTION("2 x 50 stays exact at the bound") {
    TinySpace space(std::vector<int>(2, 50));
    DecisionPairFeatures f(space);
    CHECK_FALSE(f.hashed());
    CHECK(f.size() == 2600);
    CHECK(f.size() <= bound);
  }
  SECTION("20 x 50: one-hots exact, pairs dropped (none fits)") {
    TinySpace space(std::vector<int>(20, 50));
    DecisionPairFeatures f(space);
    CHECK(f.hashed());
    CHECK(f.exact_size() == 1000 + 19 * 2500);
    CHECK(f.size() == 1000);
    Rng rng(1);
    for (int i = 0; i < 50; ++i) {
      Architecture a = space.random(rng);
      f.active(a, act);
      REQUIRE(act.size() == 20);
      for (size_t t = 0; t < act.size(); ++t) CHECK(act[t] == 50 * t + a.choices[t]);
    }
  }
  SECTION("40 x 10: consecutive pairs kept in order while they fit") {
    TinySpace space(std::vector<int>(40, 10));
    DecisionPairFeatures f(space);
    CHECK(f.hashed());
    CHECK(f.exact_size() == 400 + 39 * 100);
    CHECK(f.size() == 400 + 22 * 100);  // pairs (0,1) .. (21,22)
    Rng rng(3);
    Architecture a = space.random(rng);
    f.active(a, act);
    REQUIRE(act.size() == 40 + 22);
    CHECK(act[40] == 400 + a.choices[0] * 10u + a.choices[1]);
    CHECK(act[61] == 400 + 2100 + a.choices[21] * 10u + a.choices[22]);
  }
  SECTION("20 x 50, pairs hashed: within the bound") {
    TinySpace space(std::vector<int>(20, 50));
    DecisionPairFeatures f(space, 2048, bound, DecisionPairFeatures::Overflow::hash_pairs);
    CHECK(f.size() == bound);
    Rng rng(1);
    for (int i = 0; i < 50; ++i) {
      f.active(space.random(rng), act);
      REQUIRE(act.size() == 20 + 19);
      for (size_t t = 0; t < act.size(); ++t) {
        CHECK(act[t] < f.size());
        CHECK((t < 20) == (act[t] < 1000));  // one-hots exact, pairs in the buckets after them
      }
    }
  }
  SECTION("100 x 100: one-hots hashed") {
    TinySpace space(std::vector<int>(100, 100));
    DecisionPairFeatures f(space);
    CHECK(f.hashed());
    CHECK(f.size() == bound);
    Rng rng(2);
    f.active(space.random(rng), act);
    CHECK(act.size() == 100);
    CHECK(*std::max_element(act.begin(), act.end()) < f.size());
  }
  SECTION("the hash is fixed: the same buckets on every platform and run") {
    TinySpace space(std::vector<int>(20, 50));
    DecisionPairFeatures f(space, 2048, bound, DecisionPairFeatures::Overflow::hash_pairs);
    Architecture a{std::vector<Choice>(20, 0)};
    for (Choice i = 0; i < 20; ++i) a.choices[i] = static_cast<Choice>((i * 7) % 50);
    f.active(a, act);
    // Bucket of pair t = 1000 + splitmix64((20 + t) * 2^32 + a_t * 50 + a_t+1 + 1) % 1600.
    for (size_t t = 0; t < 19; ++t) {
      uint64_t x = (uint64_t{20 + t} << 32) + uint64_t{a.choices[t]} * 50 + a.choices[t + 1] + 1;
      CHECK(act[20 + t] == 1000 + splitmix64(x) % 1600);
    }
    CHECK(act[20] == 1543);  // pinned: a change of hash changes every search
  }
}

TEST_CASE("pair features: shipped spaces keep their exact layout", "[pair_features]") {
  Nb201Space nb201;
  DecisionPairFeatures f(nb201);
  CHECK(f.all_pairs());
  CHECK_FALSE(f.hashed());
  CHECK(f.size() == 405);
  const std::pair<const char*, size_t> shipped[] = {
      {"quickstart.yaml", 504},   {"cells_lm.yaml", 1023}, {"lm_gpu.yaml", 1023},
      {"classify_gpu.yaml", 1023}, {"g2p_gpu.yaml", 1991}, {"cells_seq2seq.yaml", 2091},
  };
  for (const auto& [name, features] : shipped) {
    INFO(name);
    RunOptions o = load_config(std::filesystem::path(MCTSNAS_SOURCE_DIR) / "configs" / name);
    auto space = make_space(o.space);
    DecisionPairFeatures g(*space);
    CHECK_FALSE(g.hashed());
    CHECK(g.size() == features);
  }
}

TEST_CASE("treatment coding: fewer features, choice 0 the baseline", "[pair_features]") {
  using Coding = DecisionPairFeatures::Coding;
  using Overflow = DecisionPairFeatures::Overflow;
  Nb201Space nb201;
  DecisionPairFeatures coded(nb201, 2048, DecisionPairFeatures::kMaxFeatures, Overflow::drop_pairs, Coding::treatment);
  CHECK(coded.treatment());
  CHECK(coded.size() == 6 * 4 + 15 * 16);  // 264 (+ intercept) instead of 405
  std::vector<uint32_t> act;
  coded.active(Architecture{{0, 0, 0, 0, 0, 0}}, act);
  CHECK(act.empty());  // the baseline is the intercept alone
  coded.active(Architecture{{1, 0, 4, 0, 0, 2}}, act);
  CHECK(act.size() == 3 + 3);  // 3 choices >= 1, and the 3 pairs among them
}
