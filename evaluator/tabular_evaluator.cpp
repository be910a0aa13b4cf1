#include "evaluator/tabular_evaluator.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "common/strings.h"
#include "evaluator/csv_reader.h"

namespace mctsnas {
namespace {

// The columns a mistaken name probably meant: those that contain it (`acc` for
// `test_accuracy`), else the closest by spelling; never the column `taken` by another role.
std::vector<std::string> near_columns(const std::vector<std::string>& header, const std::string& column,
                                      const std::string& taken) {
  std::vector<std::string> others, containing;
  for (const auto& h : header)
    if (h != taken) others.push_back(h);
  for (const auto& h : others)
    if (!column.empty() && h.find(column) != std::string::npos) containing.push_back(h);
  if (!containing.empty()) return containing;
  std::string near = closest_match(column, others);
  return near.empty() ? std::vector<std::string>{} : std::vector<std::string>{near};
}

int column_index(const std::vector<std::string>& header, const std::string& column, const std::string& what,
                 const std::string& file, const std::string& taken = {}) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == column) return static_cast<int>(i);
  std::string msg = file + ":1: no " + what + " column '" + column + "' in the header (columns: " +
                    join(header, ", ") + ")";
  std::vector<std::string> near = near_columns(header, column, taken);
  if (!near.empty()) msg += "; did you mean '" + join(near, "' or '") + "'?";
  throw Error(msg);
}

std::optional<double> parse_number(const std::string& text) {
  std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  double v = 0;
  const char* b = t.data();
  const char* e = t.data() + t.size();
  if (*b == '+') ++b;  // from_chars rejects a leading '+', which CSV writers may emit
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

TabularEvaluator::TabularEvaluator(const SearchSpace& space, const TabularOptions& options)
    : space_(space), options_(options) {
  const std::string file = options_.path.string();
  std::vector<CsvRecord> records = read_csv(options_.path);
  if (records.empty()) throw Error(file + ":1: empty table (expected a header row naming the columns)");
  const std::vector<std::string>& header = records[0].fields;
  for (size_t i = 0; i < header.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (header[i] == header[j])
        throw Error(file + ":" + std::to_string(records[0].line) + ": column '" + header[i] +
                    "' appears twice in the header");
  const int key_col = column_index(header, options_.key_column, "key", file);
  const int score_col = column_index(header, options_.score_column, "score", file, options_.key_column);

  std::unordered_map<std::string, int> first_line;
  scores_.reserve(records.size());
  first_line.reserve(records.size());
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    const std::string where = file + ":" + std::to_string(rec.line) + ": ";
    if (rec.fields.size() != header.size())
      throw Error(where + std::to_string(rec.fields.size()) + " fields, expected " + std::to_string(header.size()) +
                  " as in the header");
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
    auto score = parse_number(score_text);
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
