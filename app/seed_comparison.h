#pragma once
// task.baseline_seeds: once the search is over, the winner and its param-matched
// reference Transformer are each trained again from N other seeds (1..N; never the
// winner's search run, whose score was picked as the best of many and so is biased
// upwards), without early stopping. The means, their standard errors and whether the
// difference exceeds twice the combined error tell a user if the winner's lead is
// more than seed noise.
//
// The runs live in baseline_seeds.json, each written as it finishes, so a resume
// trains only the missing ones; summary.json's `baseline_seeds` and the report show
// the statistics.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "evaluator/evaluator.h"

namespace mctsnas {

// Mean and standard error (sample standard deviation / sqrt(n)) of the finite values;
// se is NaN below two values, mean NaN without any.
struct MeanSe {
  int n = 0;
  double mean = 0, se = 0;
};
MeanSe mean_and_se(const std::vector<double>& values);

struct SeedRun {
  TrialStatus status = TrialStatus::ok;
  double score = 0;      // NaN when the status has none
  Metrics metrics;       // all the run's metrics (params, test_*, latency_*, ...)
};

class SeedComparison {
 public:
  SeedComparison(int seeds, std::vector<Choice> winner);

  // baseline_seeds.json's content, when it is for this winner and seed count.
  static std::optional<SeedComparison> resume(const nlohmann::json& seeds, int n, const std::vector<Choice>& winner);

  const std::vector<Choice>& winner() const { return winner_; }
  // (baseline?, seed) of each run still to do.
  std::vector<std::pair<bool, uint32_t>> missing() const;
  void add(bool baseline, uint32_t seed, const TrialResult& r);

  nlohmann::json to_json() const;                 // baseline_seeds.json
  // summary.json's `baseline_seeds`, for the objective `metric`; a validation metric's
  // test counterpart (val_per -> test_per) gets its mean and error too.
  nlohmann::json statistics(const std::string& metric, bool minimize) const;

 private:
  int n_;
  std::vector<Choice> winner_;
  std::map<uint32_t, SeedRun> runs_[2];   // [0] winner, [1] reference; by seed
};

// The pool ids of these runs: kept far above any search trial's id and below the
// single baseline's (~0), with the name logs and progress give them.
uint64_t seed_run_id(bool baseline, uint32_t seed);
// (baseline?, seed) of such an id; none for any other id.
std::optional<std::pair<bool, uint32_t>> seed_run_of(uint64_t id);

}  // namespace mctsnas
