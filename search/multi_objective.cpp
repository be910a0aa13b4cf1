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
    const double range = hi_.empty() ? 0 : hi_[i] - lo_[i];
    const double shortfall = range > 0 ? (hi_[i] - rewards[i]) / range : 0;
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
  if (hi_.empty()) {
    lo_.assign(rewards.begin(), rewards.end());
    hi_ = lo_;
  }
  for (size_t i = 0; i < rewards.size(); ++i) {
    lo_[i] = std::min(lo_[i], rewards[i]);
    hi_[i] = std::max(hi_[i], rewards[i]);
  }
  inner_->observe(p, scalarize(p.id, rewards));
}

void ScalarizingSearcher::save(ByteWriter& out) const {
  out.put_vector(lo_);
  out.put_vector(hi_);
  inner_->save(out);
}

void ScalarizingSearcher::load(ByteReader& in) {
  const auto n = static_cast<uint64_t>(objectives_);
  lo_ = in.get_vector<double>(n);
  hi_ = in.get_vector<double>(n);
  bool ok = lo_.size() == hi_.size() && (lo_.empty() || lo_.size() == n);
  for (size_t i = 0; ok && i < lo_.size(); ++i) ok = std::isfinite(lo_[i]) && std::isfinite(hi_[i]) && lo_[i] <= hi_[i];
  if (!ok)
    in.fail("the observed ranges of " + std::to_string(objectives_) + " objectives are damaged");
  inner_->load(in);
}

}  // namespace mctsnas
