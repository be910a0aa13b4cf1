#include "evaluator/trial_json.h"

#include <cmath>

#include "common/error.h"

namespace mctsnas {

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

namespace {
double get_number(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw Error(where + ": missing field '" + key + "'");
  if (it->is_null()) return std::nan("");
  if (!it->is_number()) throw Error(where + ": field '" + key + "' must be a number");
  return it->get<double>();
}
}  // namespace

nlohmann::json to_json(const TrialResult& r) {
  nlohmann::json j;
  j["status"] = to_string(r.status);
  j["score"] = json_number(r.score);
  nlohmann::json m = nlohmann::json::object();
  for (const auto& [k, v] : r.metrics) m[k] = json_number(v);
  j["metrics"] = m;
  if (!r.error.empty()) j["error"] = r.error;
  j["seconds"] = json_number(r.seconds);
  if (!r.curve.points.empty()) j["curve"] = to_json(r.curve);
  return j;
}

nlohmann::json to_json(const LearningCurve& c) {
  nlohmann::json steps = nlohmann::json::array(), values = nlohmann::json::array();
  for (const auto& [step, value] : c.points) {
    steps.push_back(step);
    values.push_back(json_number(value));
  }
  return {{"metric", c.metric}, {"steps", steps}, {"values", values}};
}

LearningCurve learning_curve_from_json(const nlohmann::json& j, const std::string& where) {
  const std::string what = where + ": field 'curve' must be {\"metric\": name, \"steps\": [integers], "
                           "\"values\": [numbers or null]} of equal lengths";
  if (!j.is_object() || !j.contains("metric") || !j["metric"].is_string() || !j.contains("steps") ||
      !j["steps"].is_array() || !j.contains("values") || !j["values"].is_array() ||
      j["steps"].size() != j["values"].size())
    throw Error(what);
  LearningCurve c;
  c.metric = j["metric"].get<std::string>();
  for (size_t i = 0; i < j["steps"].size(); ++i) {
    const auto& s = j["steps"][i];
    const auto& v = j["values"][i];
    if (!s.is_number_integer() || !(v.is_number() || v.is_null())) throw Error(what);
    c.points.emplace_back(json_integer<int64_t>(s, where, "steps"), v.is_null() ? std::nan("") : v.get<double>());
  }
  return c;
}

TrialResult trial_result_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": a trial result must be a JSON object");
  TrialResult r;
  auto st = j.find("status");
  if (st == j.end() || !st->is_string()) throw Error(where + ": missing string field 'status'");
  auto status = trial_status_from_string(st->get<std::string>());
  if (!status) throw Error(where + ": unknown trial status '" + st->get<std::string>() + "'");
  r.status = *status;
  r.score = get_number(j, "score", where);
  if (auto m = j.find("metrics"); m != j.end() && m->is_object())
    for (auto it = m->begin(); it != m->end(); ++it)
      r.metrics[it.key()] = it->is_number() ? it->get<double>() : std::nan("");
  if (auto e = j.find("error"); e != j.end() && e->is_string()) r.error = e->get<std::string>();
  if (j.contains("seconds")) r.seconds = get_number(j, "seconds", where);
  if (auto c = j.find("curve"); c != j.end()) r.curve = learning_curve_from_json(*c, where);
  return r;
}

nlohmann::json to_json(const TrialBudget& b) {
  nlohmann::json j;
  j["cpu_threads"] = b.cpu_threads;
  j["cpu_set"] = b.cpu_set;
  j["gpu"] = b.gpu ? nlohmann::json(*b.gpu) : nlohmann::json();
  j["gpu_mem_bytes"] = b.gpu_mem_bytes;
  j["host_mem_bytes"] = b.host_mem_bytes;
  j["wall_seconds"] = b.wall_seconds;
  return j;
}

std::vector<Choice> choices_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array()) throw Error(where + ": choices: expected an array of integers");
  std::vector<Choice> out;
  for (const auto& c : j) out.push_back(json_integer<Choice>(c, where, "choices"));
  return out;
}

TrialBudget trial_budget_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": a trial budget must be a JSON object");
  try {
    TrialBudget b;
    b.cpu_threads = json_integer<int>(j.at("cpu_threads"), where, "cpu_threads");
    for (const auto& c : j.at("cpu_set")) b.cpu_set.push_back(json_integer<int>(c, where, "cpu_set"));
    if (!j.at("gpu").is_null()) b.gpu = json_integer<int>(j.at("gpu"), where, "gpu");
    b.gpu_mem_bytes = json_integer<int64_t>(j.at("gpu_mem_bytes"), where, "gpu_mem_bytes");
    b.host_mem_bytes = json_integer<int64_t>(j.at("host_mem_bytes"), where, "host_mem_bytes");
    b.wall_seconds = j.at("wall_seconds").get<double>();
    return b;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": bad trial budget: " + e.what());
  }
}

}  // namespace mctsnas
