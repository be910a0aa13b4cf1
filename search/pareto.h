#pragma once
// Pareto dominance, fronts and hypervolume of objective vectors. Every component is
// "higher is better": callers negate the metrics they minimize, as the search loop
// does for rewards (search/searcher.h).
#include <cstddef>
#include <span>
#include <vector>

namespace mctsnas {

using Objectives = std::vector<double>;

// a is at least as good as b everywhere and better somewhere.
bool dominates(std::span<const double> a, std::span<const double> b);

// Indices of the points no other point dominates, in input order. Equal points are
// all kept: neither dominates the other.
std::vector<size_t> pareto_front(const std::vector<Objectives>& points);

// NSGA-II's keys (Deb et al. 2002): each point's non-domination rank (0: not
// dominated; r: dominated only by points of ranks below r) and its crowding distance
// within its rank (the sum over components of the gap between its neighbours,
// divided by the rank's range; infinite at a rank's extremes). O(n^2) per rank.
std::vector<int> nondomination_ranks(const std::vector<Objectives>& points);
std::vector<double> crowding_distances(const std::vector<Objectives>& points, const std::vector<int>& ranks);

// The volume dominated by the points and bounded by `reference` (a point not better
// than the reference in every component adds nothing). Exact: a sweep in 2 components
// (O(n log n)), else slicing along the last component over the front (O(n^(d-1) log n)),
// meant for fronts of hundreds of points in 3 or more.
double hypervolume(const std::vector<Objectives>& points, std::span<const double> reference);

}  // namespace mctsnas
