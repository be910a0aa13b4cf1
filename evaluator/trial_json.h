#pragma once
// JSON form of trial results, shared by trials.jsonl (app/) and the worker-process
// pipe (runtime/), so both speak one schema.
#include <nlohmann/json.hpp>

#include "evaluator/evaluator.h"

namespace mctsnas {

// JSON has no NaN/inf: non-finite numbers are written as null.
nlohmann::json json_number(double v);

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
