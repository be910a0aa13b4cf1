#pragma once
// The worker side of ProcessPool's pipe protocol. A worker (exec'd, or forked by the
// fork server, which passes the request over its socket instead of stdin) runs one trial:
//   stdin  <- one JSON line: {"id": N, "choices": [..], "budget": {TrialBudget}}
//   fd 3   -> one JSON line: {"id": N, "result": {TrialResult}, "worker": {...}}
// (the result has its own descriptor so that whatever the evaluator or its libraries
// print on stdout/stderr cannot corrupt it; both go to the trial's log).
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "evaluator/evaluator.h"

namespace mctsnas {

struct WorkerRequest {
  uint64_t id = 0;
  Architecture arch;
  TrialBudget budget;
  bool baseline = false;    // Evaluator::evaluate_baseline instead of evaluate
  uint32_t seed = 0;        // >= 1: Evaluator::evaluate_reseeded (runtime/trial_pool.h)
};

nlohmann::json to_json(const WorkerRequest& r);
WorkerRequest worker_request_from_json(const nlohmann::json& j, const std::string& where);

// Builds the evaluator once the budget is applied (so that thread pools start on the
// trial's CPU set).
using EvaluatorFactory = std::function<std::unique_ptr<Evaluator>()>;

// Reads the request from in_fd, applies the budget, evaluates, writes the result to
// out_fd. Exceptions become results (std::bad_alloc -> oom_host, a CUDA
// out-of-memory message -> oom_gpu, others -> crashed); a non-finite score of a
// scored trial becomes `diverged`. Returns the process exit code (0 when a result
// was written).
int run_trial_worker(const EvaluatorFactory& make, int in_fd, int out_fd);

// The part after the request is read: applies the budget, builds the evaluator with
// `make`, evaluates, writes the result line to out_fd. The fork server's children
// (runtime/fork_server.h) call this with a request they got over its control socket.
// Returns the process exit code (0 when a result was written).
int run_trial_request(const WorkerRequest& request, const EvaluatorFactory& make, int out_fd);

// Asks a running trial to stop between steps (what SIGTERM does in a worker).
void install_trial_stop_handler();

// The same classification, exposed for InlinePool-style callers and tests.
TrialResult result_from_exception(const std::exception& e);
void mark_non_finite_as_diverged(TrialResult& r);

}  // namespace mctsnas
