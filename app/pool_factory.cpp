#include "app/pool_factory.h"

#include <cstdlib>
#include <ostream>

#include "app/config_loader.h"
#include "app/evaluator_factory.h"
#include "common/error.h"
#include "runtime/budgeter.h"
#include "runtime/fork_server_client.h"
#include "runtime/inline_pool.h"
#include "runtime/inventory.h"
#include "runtime/mps_daemon.h"
#include "runtime/process_pool.h"
#ifdef MCTSNAS_HAVE_MPI
#include "runtime/mpi_pool.h"
#endif

namespace mctsnas {
namespace fs = std::filesystem;

namespace {

// resources.mps: a private MPS control daemon when trials share a GPU (see
// runtime/mps_daemon.h), started before the pool so that its fork server and
// workers inherit the daemon's variables. One log line says what was decided.
std::unique_ptr<MpsDaemon> start_mps(const RunOptions& cfg, const Budgeter& budgeter, const PoolSetup& setup) {
  MpsInputs in;
  in.mode = cfg.resources.mps;
  in.gpus = budgeter.uses_gpus();
  in.shares_gpu = budgeter.may_share_gpu();
  in.control_binary = find_mps_control();
  if (const char* v = std::getenv("CUDA_MPS_PIPE_DIRECTORY")) in.user_pipe_dir = v;
  MpsDecision d = decide_mps(in);   // throws for mps: on without the binary
  auto say = [&](const std::string& line) {
    if (setup.log && (in.gpus || in.mode != MpsMode::automatic)) *setup.log << "resources: " << line << "\n";
  };
  if (!d.start) {
    say("MPS off: " + d.reason);
    return nullptr;
  }
  MpsDaemonOptions mo;
  mo.control_binary = in.control_binary;
  if (!setup.run_dir.empty()) mo.log_dir = setup.run_dir / "logs" / "mps";
  std::string why;
  auto daemon = MpsDaemon::start(mo, why);
  if (!daemon) {
    if (d.required) throw Error("resources.mps: on, but the MPS control daemon could not start: " + why);
    say("MPS off: " + why);
    return nullptr;
  }
  say("MPS on: private control daemon (pid " + std::to_string(daemon->pid()) + ", pipes in " +
      daemon->pipe_dir().string() + ", log in " + daemon->log_dir().string() +
      "); trials sharing a GPU run concurrently, and a fatal GPU fault in one can end the others on that GPU");
  return daemon;
}

}  // namespace

std::unique_ptr<TrialPool> make_trial_pool(const RunOptions& cfg, Evaluator& evaluator,
                                           const PoolSetup& setup) {
#ifdef MCTSNAS_HAVE_MPI
  // Rank 0 of several under mpirun: the trials run on the other ranks, each in its
  // host's own pool (app/mpi_worker_rank.h).
  if (MpiSession* mpi = MpiSession::current(); mpi && mpi->distributed() && mpi->rank() == 0) {
    MpiPoolOptions mo;
    mo.config_yaml = resolved_yaml(cfg);
    mo.run_dir = fs::absolute(setup.run_dir).string();
    mo.run_files = evaluator.run_files();
    mo.log = setup.log;
    mo.heartbeat_timeout = cfg.resources.heartbeat_timeout;
    return std::make_unique<MpiPool>(*mpi, mo);
  }
#endif
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
  std::unique_ptr<MpsDaemon> mps = start_mps(cfg, budgeter, setup);
  ProcessPoolOptions po;
  po.worker_args = {"trial", "--config", (setup.run_dir / "config.resolved.yaml").string()};
  po.log_dir = setup.run_dir / "logs";
  // Trials are forked by a fork server (the binary's start paid once per search);
  // MCTSNAS_TRIAL_LAUNCH=exec re-executes the binary for each trial instead.
  po.fork_server = !exec_workers_requested();
  return std::make_unique<ProcessPool>(po, std::move(budgeter), std::move(mps));
}

}  // namespace mctsnas
