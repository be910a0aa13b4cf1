#include "app/trial_log.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "common/atomic_file.h"
#include "common/binary_io.h"
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
  if (o.rank >= 0) {   // ran on a worker rank under mpirun
    j["host"] = o.host;
    j["rank"] = o.rank;
  }
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
  } catch (const nlohmann::json::exception& e) {   // parse_error, or out_of_range for a number past double
    throw Error(where + ": not valid JSON: " + e.what());
  }
  TrialOutcome o;
  o.result = trial_result_from_json(j, where);
  try {
    o.id = json_integer<uint64_t>(j.at("id"), where, "id");
    o.arch.choices = choices_from_json(j.at("choices"), where);
    o.budget = trial_budget_from_json(j.at("budget"), where);
    o.device = j.at("device").get<std::string>();
    if (j.contains("rank")) {
      o.host = j.at("host").get<std::string>();
      o.rank = json_integer<int>(j.at("rank"), where, "rank");
    }
    // Runs from before the ISO times kept seconds in started_at/finished_at.
    o.started_at = j.contains("started_s") ? j.at("started_s").get<double>() : j.at("started_at").get<double>();
    o.finished_at = j.contains("finished_s") ? j.at("finished_s").get<double>() : j.at("finished_at").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": bad trial record: " + e.what());
  }
  if (!space.is_legal(o.arch)) throw Error(where + ": trial's choices are not a legal architecture of this space");
  return o;
}

namespace {

// The prefix is not what the checkpoint recorded: say where it goes wrong.
[[noreturn]] void prefix_mismatch(std::string_view text, const TrialLogPrefix& prefix, const std::string& name) {
  int line_no = 1;
  for (size_t pos = 0; pos < text.size() && pos < prefix.bytes; ++line_no) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && !nlohmann::json::accept(line))
      throw Error(name + ":" + std::to_string(line_no) +
                  ": not valid JSON (the file was changed after mctsnas wrote it); restore it, or start a new run");
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (text.size() < prefix.bytes)
    throw Error(name + ": shorter (" + std::to_string(text.size()) + " bytes) than the checkpoint says (" +
                std::to_string(prefix.bytes) +
                "): trials.jsonl was truncated, or tree.ckpt comes from another run directory");
  throw Error(name + ": its first " + std::to_string(prefix.bytes) +
              " bytes are not the trials the checkpoint recorded: tree.ckpt comes from another run "
              "directory, or trials.jsonl was edited");
}

}  // namespace

std::vector<LoggedTrial> parse_trial_log_tail(std::string_view text, const TrialLogPrefix& prefix,
                                              const SearchSpace& space, const std::string& name,
                                              uint64_t& complete) {
  const uint64_t from = prefix.bytes;
  if (text.size() < from || (from > 0 && text[from - 1] != '\n') ||
      (prefix.lines >= 0 && std::count(text.begin(), text.begin() + static_cast<long>(from), '\n') != prefix.lines) ||
      (prefix.crc && crc32(text.substr(0, from)) != *prefix.crc))
    prefix_mismatch(text, prefix, name);
  size_t end = text.rfind('\n');
  complete = std::max<uint64_t>(end == std::string_view::npos ? 0 : end + 1, from);
  // Line numbers for errors count from the start of the file.
  int line_no = 1;
  for (size_t i = 0; i < from; ++i) line_no += text[i] == '\n';
  std::vector<LoggedTrial> out;
  for (size_t pos = from; pos < complete; ++line_no) {
    size_t nl = text.find('\n', pos);
    LoggedTrial t;
    t.line = std::string(text.substr(pos, nl - pos));
    t.outcome = parse_trial_line(t.line, space, name + ":" + std::to_string(line_no));
    out.push_back(std::move(t));
    pos = nl + 1;
  }
  return out;
}

std::vector<LoggedTrial> read_trial_log_tail(const std::filesystem::path& path, const TrialLogPrefix& prefix,
                                             const SearchSpace& space, std::string* warning) {
  if (!std::filesystem::exists(path)) {
    if (prefix.bytes > 0)
      throw Error(path.string() + ": missing, but the checkpoint says it holds " + std::to_string(prefix.bytes) +
                  " bytes of trials");
    return {};
  }
  const std::string text = read_file(path);
  uint64_t complete = 0;
  auto out = parse_trial_log_tail(text, prefix, space, path.string(), complete);
  if (complete < text.size()) {
    // Not std::filesystem::resize_file: it follows a symlink planted in the run directory.
    int fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(complete)) != 0) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      throw Error(path.string() + ": cannot cut its torn last line: " + why);
    }
    ::close(fd);
    if (warning)
      *warning = path.string() + ": cut a torn last line (" + std::to_string(text.size() - complete) +
                 " bytes) left by a process that died while writing it";
  }
  return out;
}

}  // namespace mctsnas
