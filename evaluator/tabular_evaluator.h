#pragma once
// Answers a trial by looking the architecture's key up in a CSV table of
// precomputed scores (NAS-Bench style). A key missing from the table is an
// `invalid` trial, not a crash.
#include <filesystem>
#include <string>
#include <unordered_map>

#include "evaluator/csv_reader.h"
#include "evaluator/evaluator.h"
#include "space/search_space.h"

namespace mctsnas {

struct TabularOptions {
  std::filesystem::path path;
  std::string key_column = "arch";
  std::string score_column = "test_accuracy";
};

class TabularEvaluator final : public Evaluator {
 public:
  // Loads the table; throws Error naming the file, line and column on bad input.
  // `limits` caps the CSV's record length and file size.
  TabularEvaluator(const SearchSpace& space, const TabularOptions& options, const CsvOptions& limits = {});

  TrialResult evaluate(const Architecture& arch, const TrialBudget& budget, const StopToken& stop,
                       ProgressSink* progress = nullptr) override;
  bool thread_safe() const override { return true; }

  // Direct lookup by key (benchmarks); nullptr when absent.
  const double* find(const std::string& key) const;
  size_t size() const { return scores_.size(); }
  double best_score(bool maximize) const;

 private:
  const SearchSpace& space_;
  TabularOptions options_;
  std::unordered_map<std::string, double> scores_;
};

}  // namespace mctsnas
