#include "search/pareto.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>

#include "common/error.h"

namespace mctsnas {

bool dominates(std::span<const double> a, std::span<const double> b) {
  bool better = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] < b[i]) return false;
    better |= a[i] > b[i];
  }
  return better;
}

std::vector<size_t> pareto_front(const std::vector<Objectives>& points) {
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) dominated = j != i && dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  return front;
}

std::vector<int> nondomination_ranks(const std::vector<Objectives>& points) {
  std::vector<int> rank(points.size(), 0);
  std::vector<size_t> left(points.size());
  std::iota(left.begin(), left.end(), size_t{0});
  for (int r = 0; !left.empty(); ++r) {
    std::vector<size_t> dominated;
    for (size_t i : left) {
      const bool beaten = std::any_of(left.begin(), left.end(), [&](size_t j) { return dominates(points[j], points[i]); });
      if (beaten) dominated.push_back(i);
      else rank[i] = r;
    }
    left = std::move(dominated);
  }
  return rank;
}

std::vector<double> crowding_distances(const std::vector<Objectives>& points, const std::vector<int>& ranks) {
  std::vector<double> dist(points.size(), 0.0);
  std::map<int, std::vector<size_t>> by_rank;
  for (size_t i = 0; i < points.size(); ++i) by_rank[ranks[i]].push_back(i);
  const size_t d = points.empty() ? 0 : points[0].size();
  for (auto& [r, members] : by_rank) {
    for (size_t m = 0; m < d; ++m) {
      std::stable_sort(members.begin(), members.end(), [&](size_t a, size_t b) { return points[a][m] < points[b][m]; });
      dist[members.front()] = dist[members.back()] = std::numeric_limits<double>::infinity();
      const double span = points[members.back()][m] - points[members.front()][m];
      if (span <= 0) continue;
      for (size_t k = 1; k + 1 < members.size(); ++k)
        dist[members[k]] += (points[members[k + 1]][m] - points[members[k - 1]][m]) / span;
    }
  }
  return dist;
}

namespace {

// Hypervolume of `pts` (each strictly better than ref in its first d components)
// over those d components.
double volume(std::vector<const double*> pts, std::span<const double> ref, size_t d) {
  if (pts.empty()) return 0;
  const size_t last = d - 1;
  if (d == 1) {
    double best = ref[0];
    for (const double* p : pts) best = std::max(best, p[0]);
    return best - ref[0];
  }
  if (d == 2) {   // a sweep: best first along the second component, the first's running maximum
    std::sort(pts.begin(), pts.end(), [](const double* a, const double* b) { return a[1] > b[1]; });
    double total = 0, reach = ref[0];
    for (size_t k = 0; k < pts.size(); ++k) {
      reach = std::max(reach, pts[k][0]);
      const double next = k + 1 < pts.size() ? pts[k + 1][1] : ref[1];
      total += (pts[k][1] - next) * (reach - ref[0]);
    }
    return total;
  }
  // Best first along the last component: the slab between the k-th and (k+1)-th
  // values is dominated exactly by the first k points' projections.
  std::sort(pts.begin(), pts.end(), [last](const double* a, const double* b) { return a[last] > b[last]; });
  double total = 0;
  for (size_t k = 0; k < pts.size(); ++k) {
    const double next = k + 1 < pts.size() ? pts[k + 1][last] : ref[last];
    const double height = pts[k][last] - next;
    if (height <= 0) continue;
    total += height * volume(std::vector<const double*>(pts.begin(), pts.begin() + static_cast<long>(k) + 1), ref, last);
  }
  return total;
}

}  // namespace

double hypervolume(const std::vector<Objectives>& points, std::span<const double> reference) {
  std::vector<Objectives> inside;
  for (const auto& p : points) {
    MCTSNAS_CHECK(p.size() == reference.size(), "hypervolume: a point and the reference differ in length");
    bool beyond = true;
    for (size_t i = 0; i < p.size(); ++i) beyond &= p[i] > reference[i];
    if (beyond) inside.push_back(p);
  }
  // In 3 or more components the slicing is quadratic: keep the front only. (Dominated
  // points add nothing to any slice, so 1 or 2 components take them as they are.)
  std::vector<const double*> pts;
  if (reference.size() >= 3)
    for (size_t i : pareto_front(inside)) pts.push_back(inside[i].data());
  else
    for (const auto& p : inside) pts.push_back(p.data());
  return reference.empty() ? 0 : volume(std::move(pts), reference, reference.size());
}

}  // namespace mctsnas
