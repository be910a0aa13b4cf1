#pragma once
// trials.jsonl: one JSON object per finished trial, appended and flushed as each
// finishes, so nothing finished is lost when the process dies.
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/trial_pool.h"
#include "space/search_space.h"

namespace mctsnas {

// The JSON line of one finished trial (no trailing newline).
std::string trial_line(const SearchSpace& space, const TrialOutcome& o, double reward);

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
