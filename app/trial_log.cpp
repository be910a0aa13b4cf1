#include "app/trial_log.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/atomic_file.h"
#include "common/error.h"
#include "evaluator/trial_json.h"
#include "runtime/inline_pool.h"

namespace mctsnas {

namespace {
std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

std::string utc_time_of_clock(double clock) {
  using namespace std::chrono;
  auto t = system_clock::now() - duration_cast<system_clock::duration>(duration<double>(run_clock_seconds() - clock));
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string trial_line(const SearchSpace& space, const TrialOutcome& o, double reward, double run_offset) {
  // Ordered keys: a human reading the file sees id, arch, status, score first.
  nlohmann::ordered_json j;
  nlohmann::json r = to_json(o.result);  // status, score, metrics, error, seconds
  j["id"] = o.id;
  j["arch"] = space.key(o.arch);
  j["status"] = r["status"];
  j["score"] = r["score"];
  j["reward"] = json_number(reward);
  j["metrics"] = r["metrics"];
  if (r.contains("error")) j["error"] = r["error"];
  j["seconds"] = r["seconds"];
  if (r.contains("curve")) j["curve"] = r["curve"];
  j["choices"] = o.arch.choices;
  j["canonical"] = hex(space.canonical_hash(o.arch));
  j["budget"] = to_json(o.budget);
  j["device"] = o.device;
  j["started_at"] = utc_time_of_clock(o.started_at);
  j["finished_at"] = utc_time_of_clock(o.finished_at);
  j["started_s"] = o.started_at + run_offset;
  j["finished_s"] = o.finished_at + run_offset;
  return j.dump();
}

TrialOutcome parse_trial_line(const std::string& line, const SearchSpace& space, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(where + ": not valid JSON: " + e.what());
  }
  TrialOutcome o;
  o.result = trial_result_from_json(j, where);
  try {
    o.id = j.at("id").get<uint64_t>();
    o.arch.choices = j.at("choices").get<std::vector<Choice>>();
    o.budget = trial_budget_from_json(j.at("budget"), where);
    o.device = j.at("device").get<std::string>();
    // Runs from before the ISO times kept seconds in started_at/finished_at.
    o.started_at = j.contains("started_s") ? j.at("started_s").get<double>() : j.at("started_at").get<double>();
    o.finished_at = j.contains("finished_s") ? j.at("finished_s").get<double>() : j.at("finished_at").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": bad trial record: " + e.what());
  }
  if (!space.is_legal(o.arch)) throw Error(where + ": trial's choices are not a legal architecture of this space");
  return o;
}

std::vector<LoggedTrial> read_trial_log_tail(const std::filesystem::path& path, uint64_t from,
                                             const SearchSpace& space, std::string* warning) {
  std::vector<LoggedTrial> out;
  if (!std::filesystem::exists(path)) {
    if (from > 0) throw Error(path.string() + ": missing, but the checkpoint says it holds " + std::to_string(from) + " bytes of trials");
    return out;
  }
  std::string text = read_file(path);
  if (text.size() < from)
    throw Error(path.string() + ": shorter (" + std::to_string(text.size()) + " bytes) than the checkpoint says (" +
                std::to_string(from) + "): finished trials were lost outside mctsnas");
  size_t end = text.rfind('\n');
  size_t complete = end == std::string::npos ? 0 : end + 1;
  if (complete < from) complete = from;
  if (complete < text.size()) {
    std::filesystem::resize_file(path, complete);
    if (warning)
      *warning = path.string() + ": cut a torn last line (" + std::to_string(text.size() - complete) +
                 " bytes) left by a process that died while writing it";
  }
  // Line numbers for errors count from the start of the file.
  int line_no = 1;
  for (size_t i = 0; i < from; ++i) line_no += text[i] == '\n';
  size_t pos = from;
  while (pos < complete) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    std::string where = path.string() + ":" + std::to_string(line_no);
    LoggedTrial t;
    t.line = line;
    t.outcome = parse_trial_line(line, space, where);
    out.push_back(std::move(t));
    pos = nl + 1;
    ++line_no;
  }
  return out;
}

}  // namespace mctsnas
