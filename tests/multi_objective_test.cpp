#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "common/error.h"
#include "search/multi_objective.h"
#include "search/mcts.h"
#include "search/pareto.h"
#include "search/random_search.h"
#include "search_test_util.h"
#include "space/nb201_space.h"

using namespace mctsnas;
using namespace mctsnas::testing;

namespace {

// Two objectives that pull apart: fake_reward, and the sum of the choices (a "size").
Objectives two_objectives(const Architecture& a) {
  const double size = std::accumulate(a.choices.begin(), a.choices.end(), 0.0);
  return {fake_reward(a), -size};
}

std::vector<Proposal> drive_multi(ScalarizingSearcher& s, int rounds, int k) {
  std::vector<Proposal> all;
  for (int r = 0; r < rounds; ++r) {
    auto props = s.propose(k);
    for (const auto& p : props) {
      if (p.id % 7 == 3) s.observe_objectives(p, std::vector<double>{NAN, NAN});   // a failed trial
      else s.observe_objectives(p, two_objectives(p.arch));
      all.push_back(p);
    }
  }
  return all;
}

// Records what the wrapped searcher is told.
class Recorder final : public Searcher {
 public:
  std::vector<double> rewards;
  std::string name() const override { return "recorder"; }
  std::vector<Proposal> propose(int) override { return {}; }
  void observe(const Proposal&, double r) override { rewards.push_back(r); }
  void save(ByteWriter&) const override {}
  void load(ByteReader&) override {}
};

}  // namespace

TEST_CASE("each trial's weights lie on the simplex, fixed by seed and id", "[multi_objective]") {
  ScalarizingSearcher s(std::make_unique<Recorder>(), 3, 42);
  ScalarizingSearcher same(std::make_unique<Recorder>(), 3, 42), other(std::make_unique<Recorder>(), 3, 43);
  for (uint64_t id = 0; id < 50; ++id) {
    auto w = s.weights(id);
    REQUIRE(w.size() == 3);
    CHECK(std::accumulate(w.begin(), w.end(), 0.0) == Approx(1));
    for (double x : w) CHECK(x > 0);
    CHECK(w == same.weights(id));
    CHECK(w != other.weights(id));
    CHECK(w != s.weights(id + 1));
  }
}

TEST_CASE("the scalarization ranks a dominating trial above the one it dominates, under any weights",
          "[multi_objective]") {
  auto rec = std::make_unique<Recorder>();
  Recorder* seen = rec.get();
  ScalarizingSearcher s(std::move(rec), 2, 1);
  s.observe_objectives({0, {}}, std::vector<double>{0, -10});
  s.observe_objectives({1, {}}, std::vector<double>{1, -20});
  s.observe_objectives({2, {}}, std::vector<double>{NAN, 0});   // failed: NaN, ranges untouched
  REQUIRE(seen->rewards.size() == 3);
  CHECK(std::isnan(seen->rewards[2]));
  for (uint64_t id = 0; id < 200; ++id) {
    const std::vector<double> good = {0.8, -12}, worse = {0.7, -12}, worst = {0.7, -15};
    CHECK(s.scalarize(id, good) > s.scalarize(id, worse));
    CHECK(s.scalarize(id, worse) > s.scalarize(id, worst));
    // The ideal point (best of each observed range) scores 0, the best possible.
    CHECK(s.scalarize(id, std::vector<double>{1, -10}) == 0);
  }
  // Ranges come from the trials observed so far: trial 1's own reward used [0,1] x [-20,-10].
  const auto w = s.weights(1);
  CHECK(seen->rewards[1] == Approx(-(std::max(w[0] * 0, w[1] * 1) + 0.05 * (w[1] * 1))));
  CHECK_THROWS_AS(s.observe({3, {}}, 1.0), InternalError);   // a scalar reward has no components
}

TEST_CASE("a Pareto search covers both ends of the front", "[multi_objective]") {
  Nb201Space space;
  ScalarizingSearcher s(std::make_unique<Mcts>(space, MctsOptions{}, TranspositionKey::exact, 3), 2, 3);
  auto all = drive_multi(s, 80, 1);
  REQUIRE(all.size() == 80);
  // The smallest architecture observed is far smaller than the best-scoring one: the
  // search did not collapse onto one scalar optimum.
  double best = -1e9, best_size = 0, smallest = 1e9;
  for (const auto& p : all) {
    auto o = two_objectives(p.arch);
    if (o[0] > best) best = o[0], best_size = -o[1];
    smallest = std::min(smallest, -o[1]);
  }
  CHECK(smallest + 6 <= best_size);
}

TEST_CASE("a Pareto search's save/load mid-run continues identically", "[multi_objective]") {
  Nb201Space space;
  for (std::string inner : {"mcts", "random"}) {
    DYNAMIC_SECTION(inner) {
      auto make = [&] {
        std::unique_ptr<Searcher> in;
        if (inner == "mcts") in = std::make_unique<Mcts>(space, MctsOptions{}, TranspositionKey::exact, 9);
        else in = std::make_unique<RandomSearch>(space, TranspositionKey::exact, 9);
        return std::make_unique<ScalarizingSearcher>(std::move(in), 2, 9);
      };
      auto a = make();
      drive_multi(*a, 12, 3);
      ByteWriter mid;
      a->save(mid);
      auto rest_a = drive_multi(*a, 10, 3);
      auto b = make();
      ByteReader in(mid.bytes(), "state");
      b->load(in);
      CHECK(in.at_end());
      CHECK(proposals_text(rest_a) == proposals_text(drive_multi(*b, 10, 3)));
    }
  }
}

TEST_CASE("a damaged range in a Pareto search's state is an error", "[multi_objective]") {
  Nb201Space space;
  ScalarizingSearcher s(std::make_unique<RandomSearch>(space, TranspositionKey::exact, 1), 2, 1);
  ByteWriter w;
  w.put_vector(std::vector<double>{1, 2});
  w.put_vector(std::vector<double>{0, 3});   // hi below lo
  ByteReader in(w.bytes(), "tree.ckpt");
  CHECK_THROWS_WITH(s.load(in), Catch::Contains("tree.ckpt") && Catch::Contains("observed ranges"));
}
