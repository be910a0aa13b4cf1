#pragma once
// Answers a trial by looking the architecture's key up in a CSV table of
// precomputed scores (NAS-Bench style). A key missing from the table is an
// `invalid` trial, not a crash.
#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "evaluator/csv_reader.h"
#include "evaluator/evaluator.h"
#include "space/search_space.h"

namespace mctsnas {

struct TabularOptions {
  std::filesystem::path path;
  std::string key_column = "arch";
  std::string score_column = "test_accuracy";
  // Further columns each trial reports as metrics (metric name, column): the cost
  // columns (task.cost_columns), so a multi-objective search can trade them off.
  std::vector<std::pair<std::string, std::string>> metric_columns = {};
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
  size_t size() const { return rows_.size(); }
  double best_score(bool maximize) const;

 private:
  std::vector<double> read_metric_values(const CsvRecord& rec, const std::vector<int>& cols,
                                         const std::string& where) const;

  const SearchSpace& space_;
  TabularOptions options_;
  struct Row {
    double score;
    std::vector<double> metrics;   // one per options_.metric_columns
  };
  std::unordered_map<std::string, Row> rows_;
};

}  // namespace mctsnas
