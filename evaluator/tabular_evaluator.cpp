#include "evaluator/tabular_evaluator.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_set>

#include "common/error.h"
#include "common/strings.h"
#include "evaluator/csv_reader.h"

namespace mctsnas {

std::vector<double> TabularEvaluator::read_metric_values(const CsvRecord& rec, const std::vector<int>& cols,
                                                         const std::string& where) const {
  std::vector<double> out;
  for (size_t i = 0; i < cols.size(); ++i) {
    const std::string& text = rec.fields[static_cast<size_t>(cols[i])];
    auto v = parse_csv_number(text);
    if (!v)
      throw Error(where + options_.metric_columns[i].first + " '" + text + "' in column '" +
                  options_.metric_columns[i].second + "' is not a finite number");
    out.push_back(*v);
  }
  return out;
}

TabularEvaluator::TabularEvaluator(const SearchSpace& space, const TabularOptions& options, const CsvOptions& limits)
    : space_(space), options_(options) {
  const std::string file = options_.path.string();
  std::vector<CsvRecord> records = read_csv(options_.path, limits);
  if (records.empty()) throw Error(file + ":1: empty table (expected a header row naming the columns)");
  const std::vector<std::string>& header = records[0].fields;
  std::unordered_set<std::string_view> seen;   // linear: a header may have a million columns
  seen.reserve(header.size());
  for (const auto& h : header)
    if (!seen.insert(h).second)
      throw Error(file + ":" + std::to_string(records[0].line) + ": column '" + h + "' appears twice in the header");
  const int key_col = csv_column(header, options_.key_column, "key", file);
  const int score_col = csv_column(header, options_.score_column, "score", file, options_.key_column);
  std::vector<int> metric_cols;
  for (const auto& [metric, column] : options_.metric_columns)
    metric_cols.push_back(csv_column(header, column, metric, file, options_.key_column));

  std::unordered_map<std::string, int> first_line;
  rows_.reserve(records.size());
  first_line.reserve(records.size());
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    const std::string where = file + ":" + std::to_string(rec.line) + ": ";
    check_row_width(rec, header.size(), file);
    const std::string& key = rec.fields[static_cast<size_t>(key_col)];
    const std::string& score_text = rec.fields[static_cast<size_t>(score_col)];
    // A key the space cannot read means the table is for another space: say so now,
    // not as thousands of `invalid` trials later.
    auto arch = space_.parse_key(key);
    if (!arch || !space_.is_legal(*arch))
      throw Error(where + "key '" + key + "' in column '" + options_.key_column + "' is not a valid " + space_.kind() +
                  " architecture (is this table for another search space?)");
    const std::string normal = space_.key(*arch);
    if (normal != key)
      throw Error(where + "key '" + key + "' is not written in the " + space_.kind() + " space's key form '" + normal +
                  "', so lookups would never find it");
    auto score = parse_csv_number(score_text);
    if (!score)
      throw Error(where + "score '" + score_text + "' in column '" + options_.score_column +
                  "' is not a finite number");
    auto [it, inserted] = first_line.emplace(key, rec.line);
    if (!inserted)
      throw Error(where + "duplicate key '" + key + "' (first on line " + std::to_string(it->second) + ")");
    rows_.emplace(key, Row{*score, read_metric_values(rec, metric_cols, where)});
  }
  if (rows_.empty()) throw Error(file + ": table has a header but no data rows");
}

TrialResult TabularEvaluator::evaluate(const Architecture& arch, const TrialBudget&, const StopToken&,
                                       ProgressSink*) {
  auto start = std::chrono::steady_clock::now();
  TrialResult result;
  if (!space_.is_legal(arch)) {
    result.status = TrialStatus::invalid;
    result.error = "architecture is not legal in the " + space_.kind() + " space";
  } else {
    const std::string key = space_.key(arch);
    if (auto it = rows_.find(key); it != rows_.end()) {
      const Row& row = it->second;
      result.status = TrialStatus::ok;
      result.score = row.score;
      result.metrics[options_.score_column] = row.score;
      for (size_t i = 0; i < row.metrics.size(); ++i) result.metrics[options_.metric_columns[i].first] = row.metrics[i];
    } else {
      result.status = TrialStatus::invalid;
      result.error = "architecture '" + key + "' is not in table " + options_.path.string();
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

const double* TabularEvaluator::find(const std::string& key) const {
  auto it = rows_.find(key);
  return it == rows_.end() ? nullptr : &it->second.score;
}

double TabularEvaluator::best_score(bool maximize) const {
  MCTSNAS_CHECK(!rows_.empty(), "tabular evaluator holds no scores");
  double best = maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  for (const auto& [key, row] : rows_) best = maximize ? std::max(best, row.score) : std::min(best, row.score);
  return best;
}

}  // namespace mctsnas
