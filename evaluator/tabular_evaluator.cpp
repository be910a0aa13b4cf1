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

  std::unordered_map<std::string, int> first_line;
  scores_.reserve(records.size());
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
    scores_.emplace(key, *score);
  }
  if (scores_.empty()) throw Error(file + ": table has a header but no data rows");
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
    if (const double* s = find(key)) {
      result.status = TrialStatus::ok;
      result.score = *s;
      result.metrics[options_.score_column] = *s;
    } else {
      result.status = TrialStatus::invalid;
      result.error = "architecture '" + key + "' is not in table " + options_.path.string();
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

const double* TabularEvaluator::find(const std::string& key) const {
  auto it = scores_.find(key);
  return it == scores_.end() ? nullptr : &it->second;
}

double TabularEvaluator::best_score(bool maximize) const {
  MCTSNAS_CHECK(!scores_.empty(), "tabular evaluator holds no scores");
  double best = maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  for (const auto& [key, s] : scores_) best = maximize ? std::max(best, s) : std::min(best, s);
  return best;
}

}  // namespace mctsnas
