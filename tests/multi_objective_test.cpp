#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "common/error.h"
#include "search/multi_objective.h"
#include "search/evolution.h"
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

std::vector<Proposal> drive_multi(Searcher& s, int rounds, int k) {
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

TEST_CASE("rewards: 1 on the front, the newest highest; else minus the share that dominates it",
          "[multi_objective]") {
  auto rec = std::make_unique<Recorder>();
  Recorder* seen = rec.get();
  ScalarizingSearcher s(std::move(rec), 2);
  auto observe = [&](uint64_t id, std::vector<double> y) {
    s.observe_objectives({id, {}}, y);
    return seen->rewards.back();
  };
  CHECK(observe(0, {0, 0}) == 1);
  const double r1 = observe(1, {2, 1});               // dominates trial 0
  const double r2 = observe(2, {1, 2});               // on the front beside trial 1
  CHECK(r1 == Approx(1));
  CHECK(r2 == Approx(1));
  CHECK(r2 > r1);                                     // the newest front member is the best reward
  CHECK(r1 > 1);
  CHECK(observe(3, {1, 0.5}) == Approx(-2.0 / 4));   // dominated by 2 of the 3 before it
  CHECK(observe(4, {0, 0}) == Approx(-3.0 / 5));     // by trials 1, 2 and 3 (not by the equal trial 0)
  CHECK(std::isnan(observe(5, {NAN, 3})));           // failed: NaN, and not counted
  CHECK(observe(6, {2, 1}) > r2);                     // equal to a front member: on the front too
  CHECK(observe(7, {0.5, 0.5}) == Approx(-4.0 / 7)); // trials 1, 2, 3 and 6 (5 failed, not counted)
  CHECK_THROWS_AS(s.observe({8, {}}, 1.0), InternalError);   // a scalar reward has no components
}

TEST_CASE("a Pareto search covers both ends of the front", "[multi_objective]") {
  Nb201Space space;
  ScalarizingSearcher s(std::make_unique<Mcts>(space, MctsOptions{}, TranspositionKey::exact, 3), 2);
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
  for (std::string inner : {"mcts", "random", "evolution", "evolution_nsga2"}) {
    DYNAMIC_SECTION(inner) {
      auto make = [&] {
        std::unique_ptr<Searcher> in;
        if (inner == "mcts") in = std::make_unique<Mcts>(space, MctsOptions{}, TranspositionKey::exact, 9);
        else if (inner == "random") in = std::make_unique<RandomSearch>(space, TranspositionKey::exact, 9);
        else if (inner == "evolution") in = std::make_unique<EvolutionSearch>(space, EvolutionOptions{}, TranspositionKey::exact, 9);
        else {
          EvolutionOptions nsga2;
          nsga2.pareto_selection = ParetoSelection::nsga2;
          in = std::make_unique<EvolutionSearch>(space, nsga2, TranspositionKey::exact, 9);
        }
        return make_pareto_searcher(std::move(in), 2);
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

TEST_CASE("damaged observed objectives in a Pareto search's state are an error", "[multi_objective]") {
  Nb201Space space;
  ScalarizingSearcher s(std::make_unique<RandomSearch>(space, TranspositionKey::exact, 1), 2);
  ByteWriter w;
  w.put<uint64_t>(2);
  w.put_vector(std::vector<double>{1, 2});
  w.put_vector(std::vector<double>{0, NAN});
  ByteReader in(w.bytes(), "tree.ckpt");
  CHECK_THROWS_WITH(s.load(in), Catch::Contains("tree.ckpt") && Catch::Contains("observed objectives of trial 1"));
}
