#pragma once
// trials.jsonl: one JSON object per finished trial, appended and flushed as each
// finishes, so nothing finished is lost when the process dies.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
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

// What a checkpoint knows about trials.jsonl: its first `bytes` bytes hold exactly
// the trials observed so far, with CRC-32 `crc` (absent in older checkpoints).
struct TrialLogPrefix {
  uint64_t bytes = 0;
  int64_t lines = -1;              // trials in those bytes; -1: not checked
  std::optional<uint32_t> crc;
};

// The lines of trials.jsonl (`text`, named `name` in errors) after the prefix,
// parsed. Checks that the prefix is the one the checkpoint recorded; when it is
// not, the error names the first line that is not valid JSON, if any, or says
// that the checkpoint belongs to another run. `complete` is set to the end of the
// last complete line (a torn last line, left by a process killed mid-write, is not
// parsed). Throws Error naming name:line for a malformed complete line.
std::vector<LoggedTrial> parse_trial_log_tail(std::string_view text, const TrialLogPrefix& prefix,
                                              const SearchSpace& space, const std::string& name,
                                              uint64_t& complete);

// The same on the file; a torn last line is cut off the file and `warning` says so.
std::vector<LoggedTrial> read_trial_log_tail(const std::filesystem::path& path, const TrialLogPrefix& prefix,
                                             const SearchSpace& space, std::string* warning);

}  // namespace mctsnas
