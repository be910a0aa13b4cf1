#include "space/constrained_space.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "common/error.h"

namespace mctsnas {
namespace {

constexpr int kRandomWalks = 1000;          // random(): walks before giving up
constexpr int64_t kSearchNodes = 200000;    // smallest_cost / check_reachable: prefixes expanded
constexpr double kCountLimit = 1e6;         // size(): count exactly up to this many architectures
constexpr int kSizeWalks = 2000;            // size(): walks of the estimate
constexpr double kTieMargin = 1.0 + 1e-9;

std::string number(double v) {
  char buf[48];
  if (std::isfinite(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Branch and bound: children cheapest bound first, a subtree dropped once its bound
// reaches the best complete architecture found.
struct MinSearch {
  const SearchSpace& space;
  const CostModel& cost;
  CostKind kind;
  int64_t budget = kSearchNodes;
  double best = std::numeric_limits<double>::infinity();
  std::vector<Choice> prefix;

  void run() {
    if (static_cast<int>(prefix.size()) == space.num_decisions()) {
      best = std::min(best, cost.lower_bound(kind, prefix));
      return;
    }
    if (--budget < 0) return;
    std::vector<Choice> legal;
    space.legal_choices(prefix, legal);
    std::vector<std::pair<double, Choice>> kids;
    for (Choice c : legal) {
      prefix.push_back(c);
      kids.emplace_back(cost.lower_bound(kind, prefix), c);
      prefix.pop_back();
    }
    std::sort(kids.begin(), kids.end());
    for (const auto& [bound, c] : kids) {
      // Partial bounds sit a rounding margin below exact costs (space/cost_model.h):
      // a subtree that can only tie the best found, up to that margin, is not searched.
      if (bound * kTieMargin >= best || budget < 0) break;
      prefix.push_back(c);
      run();
      prefix.pop_back();
    }
  }
};

// Depth first through `space`'s legal choices to the first complete architecture;
// false when there is none or the budget ran out first (`budget` < 0 then).
bool find_any(const SearchSpace& space, std::vector<Choice>& prefix, int64_t& budget) {
  if (static_cast<int>(prefix.size()) == space.num_decisions()) return true;
  if (--budget < 0) return false;
  std::vector<Choice> legal;
  space.legal_choices(prefix, legal);
  for (Choice c : legal) {
    prefix.push_back(c);
    if (find_any(space, prefix, budget)) return true;
    prefix.pop_back();
    if (budget < 0) return false;
  }
  return false;
}

}  // namespace

double smallest_cost(const SearchSpace& space, const CostModel& cost, CostKind k, bool& exact) {
  MinSearch s{space, cost, k};
  s.run();
  exact = s.budget >= 0;
  return s.best;
}

ConstrainedSpace::ConstrainedSpace(const SearchSpace& base, const CostModel& cost, const CostBounds& bounds)
    : base_(base), cost_(cost), bounds_(bounds) {
  decisions_ = base_.decisions();
  for (CostKind k : kCostKinds)
    MCTSNAS_CHECK(!bounds_.of(k) || cost_.knows(k), "a bound on " + std::string(cost_name(k)) + " without its cost");
  check_reachable();
}

void ConstrainedSpace::check_reachable() const {
  for (CostKind k : kCostKinds) {
    if (!bounds_.of(k)) continue;
    bool exact = false;
    const double least = smallest_cost(base_, cost_, k, exact);
    if (least <= *bounds_.of(k)) continue;
    const std::string key = "objective.constraints.max_" + std::string(cost_name(k));
    if (!std::isfinite(least))
      throw Error(key + ": no architecture of the space has a known " + std::string(cost_name(k)) + " count");
    if (exact)
      throw Error(key + ": " + number(*bounds_.of(k)) + " is below the smallest architecture of the space (" +
                  number(least) + " " + std::string(cost_name(k)) + "); no architecture meets it");
    // The search stopped early: the bound may still be reachable; the walks will tell.
  }
  if (!bounds_.max_params || !bounds_.max_flops) return;
  std::vector<Choice> prefix;
  int64_t budget = kSearchNodes;
  if (!find_any(*this, prefix, budget) && budget >= 0)
    throw Error("objective.constraints: no architecture has both params <= " + number(*bounds_.max_params) +
                " (max_params) and flops <= " + number(*bounds_.max_flops) + " (max_flops)");
}

bool ConstrainedSpace::feasible(std::span<const Choice> prefix) const {
  for (CostKind k : kCostKinds)
    if (const auto& bound = bounds_.of(k); bound && !(cost_.lower_bound(k, prefix) <= *bound)) return false;
  return true;
}

void ConstrainedSpace::legal_choices(std::span<const Choice> prefix, std::vector<Choice>& out) const {
  base_.legal_choices(prefix, out);
  std::vector<Choice> next(prefix.begin(), prefix.end());
  next.push_back(0);
  std::erase_if(out, [&](Choice c) {
    next.back() = c;
    return !feasible(next);
  });
}

std::vector<Architecture> ConstrainedSpace::neighbours(const Architecture& a) const {
  std::vector<Architecture> out = base_.neighbours(a);
  std::erase_if(out, [&](const Architecture& n) { return !feasible(n.choices); });
  return out;
}

void ConstrainedSpace::append_neighbours(std::span<const Choice> a, std::vector<Choice>& out) const {
  const size_t d = a.size(), start = out.size();
  base_.append_neighbours(a, out);
  size_t keep = start;
  for (size_t at = start; d > 0 && at + d <= out.size(); at += d) {
    if (!feasible(std::span<const Choice>(out.data() + at, d))) continue;
    if (keep != at) std::copy(out.begin() + static_cast<std::ptrdiff_t>(at),
                              out.begin() + static_cast<std::ptrdiff_t>(at + d),
                              out.begin() + static_cast<std::ptrdiff_t>(keep));
    keep += d;
  }
  out.resize(keep);
}

Architecture ConstrainedSpace::random(Rng& rng) const {
  std::vector<Choice> legal;
  for (int walk = 0; walk < kRandomWalks; ++walk) {
    Architecture a;
    a.choices.reserve(decisions_.size());
    while (a.choices.size() < decisions_.size()) {
      legal_choices(a.choices, legal);
      if (legal.empty()) break;   // both bounds: this prefix has no completion meeting both
      a.choices.push_back(legal[rng.below(legal.size())]);
    }
    if (a.choices.size() == decisions_.size()) return a;
  }
  throw Error("objective.constraints: no architecture meeting them was found in " + std::to_string(kRandomWalks) +
              " random walks of the space");
}

SpaceSize ConstrainedSpace::size() const {
  const SpaceSize full = base_.size();
  SpaceSize out;
  std::vector<Choice> prefix;
  if (full.exact && full.count <= kCountLimit) {
    // Every leaf of the pruned tree meets the bounds.
    auto count = [&](auto&& self) -> double {
      if (prefix.size() == decisions_.size()) return 1;
      std::vector<Choice> legal;
      legal_choices(prefix, legal);
      double n = 0;
      for (Choice c : legal) {
        prefix.push_back(c);
        n += self(self);
        prefix.pop_back();
      }
      return n;
    };
    out.count = count(count);
    out.exact = true;
    return out;
  }
  // Knuth's estimator: a random walk's product of choice counts (0 at a dead end) has
  // the number of leaves of the pruned tree as its expectation.
  Rng rng(1);
  std::vector<Choice> legal;
  double sum = 0;
  for (int w = 0; w < kSizeWalks; ++w) {
    prefix.clear();
    double weight = 1;
    while (prefix.size() < decisions_.size() && weight > 0) {
      legal_choices(prefix, legal);
      weight *= static_cast<double>(legal.size());
      if (!legal.empty()) prefix.push_back(legal[rng.below(legal.size())]);
    }
    sum += weight;
  }
  out.count = sum / kSizeWalks;
  out.walks = kSizeWalks;
  return out;
}

}  // namespace mctsnas
