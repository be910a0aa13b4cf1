#include "search/pareto.h"

#include <algorithm>

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
  std::vector<const double*> front;
  for (size_t i : pareto_front(inside)) front.push_back(inside[i].data());
  return reference.empty() ? 0 : volume(std::move(front), reference, reference.size());
}

}  // namespace mctsnas
