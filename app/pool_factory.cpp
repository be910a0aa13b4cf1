#include "app/pool_factory.h"

#include <ostream>

#include "app/evaluator_factory.h"
#include "runtime/budgeter.h"
#include "runtime/fork_server.h"
#include "runtime/inline_pool.h"
#include "runtime/inventory.h"
#include "runtime/process_pool.h"

namespace mctsnas {

std::unique_ptr<TrialPool> make_trial_pool(const RunOptions& cfg, Evaluator& evaluator,
                                           const PoolSetup& setup) {
  if (runs_inline(cfg)) {
    InlinePoolOptions po;
    po.capacity = std::max(1, cfg.search.parallel);
    po.budget.cpu_threads = cfg.resources.per_trial.cpu_threads;
    po.stop_flag = setup.stop_now;
    return std::make_unique<InlinePool>(evaluator, po);
  }
  InventoryOptions io;
  io.probe_gpus = cfg.resources.devices != "cpu";
  BudgeterOptions bo;
  bo.resources = cfg.resources;
  bo.max_parallel = std::max(1, cfg.search.parallel);
  Budgeter budgeter(probe_inventory(io), bo);
  if (setup.log)
    for (const auto& line : budgeter.describe()) *setup.log << "resources: " << line << "\n";
  ProcessPoolOptions po;
  po.worker_args = {"trial", "--config", (setup.run_dir / "config.resolved.yaml").string()};
  po.log_dir = setup.run_dir / "logs";
  // Trials are forked by a fork server (the binary's start paid once per search);
  // MCTSNAS_TRIAL_LAUNCH=exec re-executes the binary for each trial instead.
  po.fork_server = !exec_workers_requested();
  return std::make_unique<ProcessPool>(po, std::move(budgeter));
}

}  // namespace mctsnas
