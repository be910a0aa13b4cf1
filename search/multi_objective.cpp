#include "search/multi_objective.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace mctsnas {

namespace {

constexpr double kNewerOnFront = 1e-9;   // per trial observed before

}  // namespace

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
  const auto n = static_cast<double>(observed_.size());
  if (dominated_by > 0) return -dominated_by / (n + 1);
  // On the front: 1, and the newest such trial the best reward. MCTS roots its edit
  // tree at the best reward, so the root follows the front as it grows; the tiebreak
  // is far below any other difference between rewards.
  return 1 + kNewerOnFront * n;
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
    observed_.emplace_back(rewards.begin(), rewards.end());
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
  for (uint64_t i = 0; i < n; ++i) {
    Objectives y = in.get_vector<double>(static_cast<uint64_t>(objectives_));
    if (y.size() != static_cast<size_t>(objectives_) ||
        !std::all_of(y.begin(), y.end(), [](double x) { return std::isfinite(x); }))
      in.fail("the observed objectives of trial " + std::to_string(i) + " are damaged");
    observed_.push_back(std::move(y));
  }
  inner_->load(in);
}

}  // namespace mctsnas
