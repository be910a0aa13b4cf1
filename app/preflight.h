#pragma once
// What `search` refuses before its first trial, checked without running one, for
// `validate` (all of it) and `doctor CONFIG` (the inputs).
#include <memory>

#include "app/cost_constraints.h"
#include "app/run_options.h"
#include "runtime/budgeter.h"
#include "space/search_space.h"

namespace mctsnas {

struct CheckedInputs {
  std::unique_ptr<SearchSpace> space;
  SearchedSpace searched;   // what the searchers walk (the objective's up-front constraints)
  std::string data_summary; // the evaluator's data_summary(): split sizes, label counts
};

// The config's space and search settings, the task's inputs (a table's file and rows,
// a text task's dataset files) and that some architecture meets the objective's
// up-front constraints. Throws Error, one line naming the file, line or key, at the
// first problem.
CheckedInputs check_run_inputs(const RunOptions& options);

// For trials in worker processes: that the per-trial budget fits this machine (the
// devices exist, ...). Throws Error as the run's trial pool would.
void check_run_resources(const RunOptions& options);

// The trial pool's budgeter settings for a config.
BudgeterOptions budgeter_options(const RunOptions& options);

}  // namespace mctsnas
