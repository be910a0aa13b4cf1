#pragma once
// trials.jsonl: one JSON object per finished trial, appended and flushed as each
// finishes, so nothing finished is lost when the process dies.
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/trial_pool.h"
#include "space/search_space.h"

namespace mctsnas {

// The JSON line of one finished trial (no trailing newline). The pool's times
// (run_clock_seconds of this process) become `started_s`/`finished_s`, seconds since
// the run began across resumes (`run_offset` = the run's seconds at clock 0), and
// `started_at`/`finished_at`, ISO-8601 UTC.
std::string trial_line(const SearchSpace& space, const TrialOutcome& o, double reward, double run_offset);

// "2026-12-04T19:20:31.250Z": the wall-clock time at which run_clock_seconds() read `clock`.
std::string utc_time_of_clock(double clock);

// Parses one trials.jsonl line; `where` (file:line) names it in errors.
TrialOutcome parse_trial_line(const std::string& line, const SearchSpace& space, const std::string& where);

struct LoggedTrial {
  TrialOutcome outcome;
  std::string line;
};

// Reads the lines of trials.jsonl that start at byte `from`. A torn last line
// (the process died mid-write) is cut off the file; `warning` says so.
// Throws Error naming file:line for a malformed complete line.
std::vector<LoggedTrial> read_trial_log_tail(const std::filesystem::path& path, uint64_t from,
                                             const SearchSpace& space, std::string* warning);

}  // namespace mctsnas
