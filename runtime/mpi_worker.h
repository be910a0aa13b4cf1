#pragma once
// A worker rank under mpirun (ranks 1..N-1): it runs its host's own local pool (the
// same pool, fork server and budgeter a single-host run uses) and serves rank 0's
// MpiPool: asks for as many trials as the pool has free slots, runs them, sends each
// result back with its host and rank, and beats a heartbeat. See runtime/mpi_messages.h
// for the exchange.
#include <map>
#include <optional>
#include <string>

#include "runtime/mpi_session.h"
#include "runtime/trial_pool.h"

namespace mctsnas {

struct MpiWorkerSetup {
  std::string config_yaml;   // the resolved config of the run
  std::string run_dir;       // rank 0's run directory (shared or not)
  std::map<std::string, std::string> run_files;   // MpiPoolOptions::run_files: plain names
};

// Waits for rank 0's setup; nullopt when rank 0 sends shutdown instead (its own
// start failed, e.g. a bad config it has already reported).
std::optional<MpiWorkerSetup> receive_mpi_setup();

// Tells rank 0 that this worker cannot run the config (one line; rank 0 adds this
// rank and host), then waits for its shutdown.
void report_mpi_setup_error(const MpiSession& session, const std::string& message);

struct MpiWorkerOptions {
  double heartbeat_seconds = 5;
};

// Serves rank 0 with `pool` until it sends shutdown.
void run_mpi_worker(const MpiSession& session, TrialPool& pool, const MpiWorkerOptions& options);

}  // namespace mctsnas
