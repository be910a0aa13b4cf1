#pragma once
// Runs trials inside this process: for table lookups, fake evaluators and tests.
// Caps are not enforced here (a trial shares the process); use ProcessPool for that.
// With a thread-safe evaluator and capacity > 1, trials run concurrently on TBB.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "runtime/trial_pool.h"

namespace mctsnas {

struct InlinePoolOptions {
  int capacity = 1;
  TrialBudget budget;          // recorded with each outcome, informational
  const std::atomic<bool>* stop_flag = nullptr;
};

class InlinePool final : public TrialPool {
 public:
  InlinePool(Evaluator& evaluator, InlinePoolOptions options);
  ~InlinePool() override;

  int capacity() const override { return options_.capacity; }
  int in_flight() const override;
  void submit(TrialRequest request) override;
  std::vector<TrialOutcome> wait(double timeout_seconds) override;
  void stop(double grace_seconds) override;

 private:
  TrialOutcome run_one(const TrialRequest& request);
  bool concurrent() const { return options_.capacity > 1 && evaluator_.thread_safe(); }

  Evaluator& evaluator_;
  InlinePoolOptions options_;
  std::deque<TrialRequest> queued_;   // sequential mode: run in wait()
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<TrialOutcome> done_;
  int running_ = 0;
  std::unique_ptr<tbb::task_arena> arena_;
  std::unique_ptr<tbb::task_group> group_ = std::make_unique<tbb::task_group>();
};

// Seconds since the first call in this process (steady clock): the run's clock.
double run_clock_seconds();

}  // namespace mctsnas
