#pragma once
// The search loop: proposes trials, runs them in a pool, observes results, writes
// trials.jsonl, tree.ckpt and summary.json into the run directory. Used by
// `mctsnas search` (fresh run) and `mctsnas resume` (continue a checkpoint).
#include <atomic>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "app/run_options.h"

namespace mctsnas {

struct SearchRunOptions {
  RunOptions config;
  std::string resolved_config_yaml;    // written as config.resolved.yaml (fresh runs)
  std::filesystem::path run_dir;       // created if missing (fresh) / must exist (resume)
  bool resume = false;
  bool trials_from_flag = false;       // search.trials came from `resume --trials` (for messages)
  bool tty = false;                    // progress redrawn in place
  std::ostream* out = nullptr;         // progress and summary; nullptr = silent
  std::ostream* err = nullptr;         // warnings; nullptr = silent
  // Set by a signal handler: stop proposing, give running trials grace_seconds, then stop.
  const std::atomic<bool>* stop = nullptr;
  // Set on a second signal: stop at once (finished results are still kept).
  const std::atomic<bool>* stop_now = nullptr;
  double grace_seconds = 30;
  // report.html / trials.csv refresh interval while running (0: only at the end).
  double report_every_seconds = 180;
  // Testing: stop after this many trials observed in this process (simulates a stop).
  std::optional<int64_t> max_trials_this_process;
};

struct SearchRunResult {
  std::filesystem::path run_dir;
  int64_t trials = 0;                  // finished trials in the run (all processes)
  bool finished = false;               // reached the target or exhausted the space
  bool exhausted = false;              // the space ran out before the target
  std::optional<uint64_t> best_id;
  double best_score = 0;
  std::string best_arch;
  double wall_seconds = 0;             // whole run, across resumes
};

SearchRunResult run_search(const SearchRunOptions& options);

// results/<name>-<YYYYmmdd-HHMMSS>[-N]: a new directory name that does not exist yet.
std::filesystem::path new_run_dir(const std::filesystem::path& root, const std::string& name);

}  // namespace mctsnas
