#pragma once
// The trial pool a config asks for: in-process (tables, fakes: runs_inline()) or one
// worker process per trial with enforced budgets (ProcessPool + Budgeter), forked by
// a fork server unless MCTSNAS_TRIAL_LAUNCH=exec. On rank 0 of several under mpirun,
// an MpiPool whose worker ranks each run one of those on their host.
#include <atomic>
#include <filesystem>
#include <iosfwd>
#include <memory>

#include "app/run_options.h"
#include "evaluator/evaluator.h"
#include "runtime/trial_pool.h"

namespace mctsnas {

struct PoolSetup {
  std::filesystem::path run_dir;          // workers read run_dir/config.resolved.yaml, log to run_dir/logs
  const std::atomic<bool>* stop_now = nullptr;  // InlinePool: cancel running trials
  std::ostream* log = nullptr;            // one line per budget limit (process mode)
};

// `evaluator` is used only in-process. Throws Error for resources the machine lacks.
std::unique_ptr<TrialPool> make_trial_pool(const RunOptions& config, Evaluator& evaluator,
                                           const PoolSetup& setup);

}  // namespace mctsnas
