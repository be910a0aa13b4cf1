#include "search/multi_objective.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/rng.h"

namespace mctsnas {

namespace {

// ParEGO's augmentation: a small weighted sum keeps weakly dominated points from
// tying with the points that dominate them.
constexpr double kRho = 0.05;

}  // namespace

ScalarizingSearcher::ScalarizingSearcher(std::unique_ptr<Searcher> inner, int objectives, uint64_t seed)
    : inner_(std::move(inner)), objectives_(objectives), seed_(seed) {
  MCTSNAS_CHECK(inner_ && objectives_ >= 2, "ScalarizingSearcher needs a searcher and at least two objectives");
  seen_.resize(static_cast<size_t>(objectives_));
}

std::vector<double> ScalarizingSearcher::weights(uint64_t id) const {
  // Exponential spacings normalized: uniform on the simplex.
  Rng rng(seed_ ^ (0x9e3779b97f4a7c15ULL * (id + 1)));
  std::vector<double> w(static_cast<size_t>(objectives_));
  double sum = 0;
  for (double& x : w) sum += x = -std::log(1.0 - rng.uniform());
  for (double& x : w) x = sum > 0 ? x / sum : 1.0 / objectives_;
  return w;
}

double ScalarizingSearcher::scalarize(uint64_t id, std::span<const double> rewards) const {
  const std::vector<double> w = weights(id);
  double worst = 0, sum = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const std::vector<double>& seen = seen_[i];
    const double n = static_cast<double>(seen.size());
    // Mid-rank among the observed values: 0 for the best seen, near 1 for the worst.
    const auto below = std::lower_bound(seen.begin(), seen.end(), rewards[i]);
    const auto upto = std::upper_bound(below, seen.end(), rewards[i]);
    const double beaten = static_cast<double>(below - seen.begin()) + 0.5 * static_cast<double>(upto - below);
    const double shortfall = n > 0 ? 1.0 - beaten / n : 0;
    worst = std::max(worst, w[i] * shortfall);
    sum += w[i] * shortfall;
  }
  return -(worst + kRho * sum);
}

void ScalarizingSearcher::observe(const Proposal& p, double reward) {
  MCTSNAS_CHECK(std::isnan(reward), "ScalarizingSearcher::observe takes one reward per objective");
  inner_->observe(p, reward);
}

void ScalarizingSearcher::observe_objectives(const Proposal& p, std::span<const double> rewards) {
  MCTSNAS_CHECK(rewards.size() == static_cast<size_t>(objectives_), "observe_objectives: wrong number of rewards");
  if (std::any_of(rewards.begin(), rewards.end(), [](double r) { return !std::isfinite(r); })) {
    inner_->observe(p, std::nan(""));
    return;
  }
  for (size_t i = 0; i < rewards.size(); ++i)
    seen_[i].insert(std::upper_bound(seen_[i].begin(), seen_[i].end(), rewards[i]), rewards[i]);
  inner_->observe(p, scalarize(p.id, rewards));
}

void ScalarizingSearcher::save(ByteWriter& out) const {
  for (const auto& v : seen_) out.put_vector(v);
  inner_->save(out);
}

void ScalarizingSearcher::load(ByteReader& in) {
  for (auto& v : seen_) {
    v = in.get_vector<double>();
    const bool ok = std::is_sorted(v.begin(), v.end()) &&
                    std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
    if (!ok || v.size() != seen_[0].size()) in.fail("the observed values of the objectives are damaged");
  }
  inner_->load(in);
}

}  // namespace mctsnas
