#include "runtime/inline_pool.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <tbb/info.h>

namespace mctsnas {

double run_clock_seconds() {
  static const auto start = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

InlinePool::InlinePool(Evaluator& evaluator, InlinePoolOptions options)
    : evaluator_(evaluator), options_(std::move(options)) {
  // No more threads than the machine has: TBB warns about (and ignores) a request
  // beyond its worker limit, and more threads than cores would not run trials sooner.
  if (concurrent())
    arena_ = std::make_unique<tbb::task_arena>(std::min(options_.capacity, tbb::info::default_concurrency()));
}

InlinePool::~InlinePool() {
  if (arena_) arena_->execute([this] { group_->wait(); });
}

int InlinePool::in_flight() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(queued_.size()) + running_ + static_cast<int>(done_.size());
}

TrialOutcome InlinePool::run_one(const TrialRequest& request) {
  TrialOutcome out;
  out.id = request.id;
  out.arch = request.arch;
  out.budget = options_.budget;
  out.device = "cpu";
  out.started_at = run_clock_seconds();
  try {
    StopToken stop(options_.stop_flag);
    out.result = evaluate_request(evaluator_, request.arch, request.baseline, request.seed, options_.budget, stop,
                                  nullptr);
  } catch (const std::exception& e) {
    // In-process there is no isolation: an exception is the closest thing to a crash.
    out.result.status = TrialStatus::crashed;
    out.result.score = std::nan("");
    out.result.error = e.what();
  }
  out.finished_at = run_clock_seconds();
  if (out.result.seconds == 0) out.result.seconds = out.finished_at - out.started_at;
  return out;
}

void InlinePool::submit(TrialRequest request) {
  if (!concurrent()) {
    std::lock_guard lock(mu_);
    queued_.push_back(std::move(request));
    return;
  }
  {
    std::lock_guard lock(mu_);
    ++running_;
  }
  arena_->execute([this, request = std::move(request)]() mutable {
    group_->run([this, request = std::move(request)] {
      TrialOutcome o = run_one(request);
      std::lock_guard lock(mu_);
      --running_;
      done_.push_back(std::move(o));
      cv_.notify_all();
    });
  });
}

std::vector<TrialOutcome> InlinePool::wait(double timeout_seconds) {
  if (!concurrent()) {
    // Sequential: run the oldest queued trial now, so that wait() returns as soon
    // as one finishes (the loop then refills, as it would with real workers).
    TrialRequest r;
    {
      std::lock_guard lock(mu_);
      if (queued_.empty()) return {};
      r = std::move(queued_.front());
      queued_.pop_front();
    }
    return {run_one(r)};
  }
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
               [this] { return !done_.empty() || running_ == 0; });
  std::vector<TrialOutcome> out;
  out.swap(done_);
  return out;
}

void InlinePool::stop(double /*grace_seconds*/) {
  // In-process trials cannot be killed: drop what has not started and let the
  // running ones see the stop flag.
  std::lock_guard lock(mu_);
  queued_.clear();
}

}  // namespace mctsnas
