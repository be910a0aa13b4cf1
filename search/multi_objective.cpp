#include "search/multi_objective.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace mctsnas {

void Searcher::observe_objectives(const Proposal&, std::span<const double>) {
  MCTSNAS_CHECK(false, name() + " takes one reward per trial: a Pareto search wraps it (make_pareto_searcher)");
}

std::unique_ptr<Searcher> make_pareto_searcher(std::unique_ptr<Searcher> searcher, int objectives) {
  if (searcher->takes_objectives()) return searcher;
  return std::make_unique<ScalarizingSearcher>(std::move(searcher), objectives);
}

ScalarizingSearcher::ScalarizingSearcher(std::unique_ptr<Searcher> inner, int objectives)
    : inner_(std::move(inner)), objectives_(objectives) {
  MCTSNAS_CHECK(inner_ && objectives_ >= 2, "ScalarizingSearcher needs a searcher and at least two objectives");
}

double ScalarizingSearcher::reward_of(std::span<const double> y) const {
  double dominated_by = 0;
  for (const auto& o : observed_) dominated_by += dominates(o, y);
  if (dominated_by > 0) return -dominated_by / static_cast<double>(observed_.size() + 1);
  // The first trial extends nothing. (With the whole volume, 1, it would stay MCTS's
  // best, hence its edit tree's root, for good.)
  if (observed_.empty()) return 0;
  // Reference: just below the worst value seen in each objective, y included, so
  // every point of the front has a volume.
  std::vector<double> ref(y.begin(), y.end());
  for (const auto& o : observed_)
    for (size_t i = 0; i < ref.size(); ++i) ref[i] = std::min(ref[i], o[i]);
  for (double& r : ref) r -= 1e-9 * std::max(1.0, std::abs(r));
  std::vector<Objectives> with = front_;
  with.emplace_back(y.begin(), y.end());
  const double after = hypervolume(with, ref);
  return after > 0 ? (after - hypervolume(front_, ref)) / after : 0;
}

void ScalarizingSearcher::observe(const Proposal& p, double reward) {
  MCTSNAS_CHECK(std::isnan(reward), "ScalarizingSearcher::observe takes one reward per objective");
  inner_->observe(p, reward);
}

void ScalarizingSearcher::observe_objectives(const Proposal& p, std::span<const double> rewards) {
  MCTSNAS_CHECK(rewards.size() == static_cast<size_t>(objectives_), "observe_objectives: wrong number of rewards");
  double r = std::nan("");
  if (std::all_of(rewards.begin(), rewards.end(), [](double x) { return std::isfinite(x); })) {
    r = reward_of(rewards);
    Objectives y(rewards.begin(), rewards.end());
    if (r >= 0) {
      std::erase_if(front_, [&](const Objectives& f) { return dominates(y, f); });
      front_.push_back(y);
    }
    observed_.push_back(std::move(y));
  }
  inner_->observe(p, r);
}

void ScalarizingSearcher::save(ByteWriter& out) const {
  out.put<uint64_t>(observed_.size());
  for (const auto& o : observed_) out.put_vector(o);
  inner_->save(out);
}

void ScalarizingSearcher::load(ByteReader& in) {
  const auto n = in.get<uint64_t>();
  observed_.clear();
  front_.clear();
  for (uint64_t i = 0; i < n; ++i) {
    Objectives y = in.get_vector<double>(static_cast<uint64_t>(objectives_));
    if (y.size() != static_cast<size_t>(objectives_) ||
        !std::all_of(y.begin(), y.end(), [](double x) { return std::isfinite(x); }))
      in.fail("the observed objectives of trial " + std::to_string(i) + " are damaged");
    if (std::none_of(front_.begin(), front_.end(), [&](const Objectives& f) { return dominates(f, y); })) {
      std::erase_if(front_, [&](const Objectives& f) { return dominates(y, f); });
      front_.push_back(y);
    }
    observed_.push_back(std::move(y));
  }
  inner_->load(in);
}

}  // namespace mctsnas
