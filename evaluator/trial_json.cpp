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
  return j;
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

TrialBudget trial_budget_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": a trial budget must be a JSON object");
  try {
    TrialBudget b;
    b.cpu_threads = j.at("cpu_threads").get<int>();
    b.cpu_set = j.at("cpu_set").get<std::vector<int>>();
    if (!j.at("gpu").is_null()) b.gpu = j.at("gpu").get<int>();
    b.gpu_mem_bytes = j.at("gpu_mem_bytes").get<int64_t>();
    b.host_mem_bytes = j.at("host_mem_bytes").get<int64_t>();
    b.wall_seconds = j.at("wall_seconds").get<double>();
    return b;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": bad trial budget: " + e.what());
  }
}

}  // namespace mctsnas
