#pragma once
// JSON form of trial results, shared by trials.jsonl (app/) and the worker-process
// pipe (runtime/), so both speak one schema.
#include <nlohmann/json.hpp>

#include <limits>
#include <string>
#include <utility>

#include "common/error.h"
#include "common/strings.h"
#include "evaluator/evaluator.h"

namespace mctsnas {

// JSON has no NaN/inf: non-finite numbers are written as null.
nlohmann::json json_number(double v);

// `v` as an integer of type T: Error naming `where` and `key` unless it is a JSON
// integer within T's range. nlohmann's get<T>() converts 1e12 or 3.5e91 without a
// check (undefined behaviour for a float past T's range).
template <class T>
T json_integer(const nlohmann::json& v, const std::string& where, const char* key) {
  if (v.is_number_unsigned() && std::in_range<T>(v.get<uint64_t>())) return static_cast<T>(v.get<uint64_t>());
  if (v.is_number_integer() && !v.is_number_unsigned() && std::in_range<T>(v.get<int64_t>()))
    return static_cast<T>(v.get<int64_t>());
  throw Error(where + ": " + key + ": expected an integer in [" + std::to_string(std::numeric_limits<T>::min()) + ", " +
              std::to_string(std::numeric_limits<T>::max()) + "], got " + one_line(v.dump().substr(0, 40)));
}

nlohmann::json to_json(const TrialResult& r);
// Throws Error naming `where` when a field is missing or of the wrong type.
TrialResult trial_result_from_json(const nlohmann::json& j, const std::string& where);

// {"metric": "val_per", "steps": [...], "values": [...]}; `where` names the record.
nlohmann::json to_json(const LearningCurve& c);
LearningCurve learning_curve_from_json(const nlohmann::json& j, const std::string& where);

// An architecture's "choices": Error naming `where` unless every element is an integer
// 0..65535 (nlohmann's own conversion of 1e91 to uint16 is undefined behaviour).
std::vector<Choice> choices_from_json(const nlohmann::json& j, const std::string& where);

nlohmann::json to_json(const TrialBudget& b);
TrialBudget trial_budget_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace mctsnas
