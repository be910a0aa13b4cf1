#pragma once
// What `search` refuses before its first trial, checked without running one, for
// `validate` (all of it) and `doctor CONFIG` (the inputs).
#include <memory>

#include "app/run_options.h"
#include "runtime/budgeter.h"
#include "space/search_space.h"

namespace mctsnas {

// The config's space and search settings, and the task's inputs: a table's file and
// rows, a text task's dataset files. Throws Error, one line naming the file, line or
// key, at the first problem. Returns the space.
std::unique_ptr<SearchSpace> check_run_inputs(const RunOptions& options);

// For trials in worker processes: that the per-trial budget fits this machine (the
// devices exist, ...). Throws Error as the run's trial pool would.
void check_run_resources(const RunOptions& options);

// The trial pool's budgeter settings for a config.
BudgeterOptions budgeter_options(const RunOptions& options);

}  // namespace mctsnas
