#pragma once
// Runs trials, up to capacity() at once, and hands back each outcome as it
// finishes. The search loop (app/) only sees this interface, so trials may live in
// this process (InlinePool: tables, tests), in worker processes (ProcessPool), or
// later on other hosts (an MPI pool). The loop makes no assumption that trials
// share its address space.
#include <cstdint>
#include <string>
#include <vector>

#include "evaluator/evaluator.h"

namespace mctsnas {

struct TrialRequest {
  uint64_t id = 0;
  Architecture arch;
  bool baseline = false;    // run Evaluator::evaluate_baseline(arch) instead
  uint32_t seed = 0;        // >= 1: Evaluator::evaluate_reseeded from that other seed
};

// How logs and progress name a request: "12", "baseline", "winner-seed2", "baseline-seed2".
std::string trial_name(uint64_t id, bool baseline, uint32_t seed);

struct TrialOutcome {
  uint64_t id = 0;
  Architecture arch;
  TrialResult result;
  TrialBudget budget;       // what the trial was given (CPU set, GPU, caps)
  std::string device;       // "cpu", "cuda:0", ...
  double started_at = 0;    // seconds since the run started
  double finished_at = 0;
  std::string host;         // under mpirun: the worker rank's host and rank
  int rank = -1;            // -1: ran in this process's own pool
};

class TrialPool {
 public:
  virtual ~TrialPool() = default;
  // Trials that may run at once (may change, e.g. as GPU packing learns sizes).
  virtual int capacity() const = 0;
  virtual int in_flight() const = 0;
  virtual void submit(TrialRequest request) = 0;
  // Blocks until at least one trial has finished (or timeout_seconds passed, or
  // nothing is in flight) and returns all finished since the last call.
  virtual std::vector<TrialOutcome> wait(double timeout_seconds) = 0;
  // Stop: running trials get grace_seconds to finish, then are killed. Killed
  // trials are not returned (the run loop re-runs them on resume).
  virtual void stop(double grace_seconds) = 0;
};

}  // namespace mctsnas
