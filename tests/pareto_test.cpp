#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "common/rng.h"
#include "search/pareto.h"

using namespace mctsnas;

TEST_CASE("dominance: better somewhere and nowhere worse", "[pareto]") {
  CHECK(dominates(std::vector<double>{2, 2}, std::vector<double>{1, 2}));
  CHECK_FALSE(dominates(std::vector<double>{2, 2}, std::vector<double>{2, 2}));
  CHECK_FALSE(dominates(std::vector<double>{3, 1}, std::vector<double>{1, 2}));
}

TEST_CASE("the front keeps the non-dominated points in input order, equal ones all", "[pareto]") {
  std::vector<Objectives> pts = {{1, 5}, {2, 2}, {3, 3}, {5, 1}, {3, 3}, {0, 0}};
  CHECK(pareto_front(pts) == std::vector<size_t>{0, 2, 3, 4});
  CHECK(pareto_front({}).empty());
}

TEST_CASE("hypervolume of known sets", "[pareto]") {
  const std::vector<double> ref2 = {0, 0};
  CHECK(hypervolume({{1, 1}}, ref2) == Approx(1));
  // Two boxes 2x1 and 1x2 overlapping in 1x1: 3.
  CHECK(hypervolume({{2, 1}, {1, 2}}, ref2) == Approx(3));
  // A dominated point and one beyond the reference add nothing.
  CHECK(hypervolume({{2, 1}, {1, 2}, {1, 1}, {-1, 5}}, ref2) == Approx(3));
  CHECK(hypervolume({}, ref2) == 0);
  // 3-D: the union of boxes [0,2]x[0,1]x[0,1] and [0,1]x[0,1]x[0,2] is 3.
  const std::vector<double> ref3 = {0, 0, 0};
  CHECK(hypervolume({{2, 1, 1}, {1, 1, 2}}, ref3) == Approx(3));
  CHECK(hypervolume({{1, 2, 3}}, std::vector<double>{-1, 0, 1}) == Approx(2 * 2 * 2));
}

TEST_CASE("hypervolume agrees with a Monte Carlo estimate in 3 objectives", "[pareto]") {
  Rng rng(5);
  std::vector<Objectives> pts;
  for (int i = 0; i < 12; ++i) pts.push_back({rng.uniform(), rng.uniform(), rng.uniform()});
  const std::vector<double> ref = {0, 0, 0};
  int inside = 0;
  const int n = 200000;
  for (int s = 0; s < n; ++s) {
    const double x = rng.uniform(), y = rng.uniform(), z = rng.uniform();
    for (const auto& p : pts)
      if (x < p[0] && y < p[1] && z < p[2]) {
        ++inside;
        break;
      }
  }
  // 200,000 samples: the estimate's standard error is below 0.0012.
  CHECK(std::abs(hypervolume(pts, ref) - static_cast<double>(inside) / n) < 0.006);
}

TEST_CASE("NSGA-II keys: non-domination ranks and crowding distances", "[pareto]") {
  //                               0       1       2       3       4       5
  std::vector<Objectives> pts = {{1, 5}, {2, 4}, {4, 1}, {1, 4}, {0, 0}, {3, 3}};
  CHECK(nondomination_ranks(pts) == std::vector<int>{0, 0, 0, 1, 2, 0});
  const auto crowd = crowding_distances(pts, nondomination_ranks(pts));
  // Rank 0 sorted by the first component: 0 (1), 1 (2), 5 (3), 2 (4); spans 3 and 4.
  CHECK(std::isinf(crowd[0]));
  CHECK(std::isinf(crowd[2]));
  CHECK(crowd[1] == Approx((3.0 - 1) / 3 + (5.0 - 3) / 4));
  CHECK(crowd[5] == Approx((4.0 - 2) / 3 + (4.0 - 1) / 4));
  CHECK(std::isinf(crowd[3]));   // alone in its rank
  CHECK(nondomination_ranks({}).empty());
}
