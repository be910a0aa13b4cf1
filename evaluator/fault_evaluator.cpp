#include "evaluator/fault_evaluator.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "common/error.h"

namespace mctsnas {

namespace {

using Clock = std::chrono::steady_clock;

std::string status_value(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  size_t n = std::strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') {
      auto b = line.find_first_not_of(" \t", n + 1);
      return b == std::string::npos ? std::string() : line.substr(b);
    }
  return {};
}

std::vector<int> cpu_list(const std::string& s) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    std::string part = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto dash = part.find('-');
    int a = std::atoi(part.c_str());
    int b = dash == std::string::npos ? a : std::atoi(part.c_str() + dash + 1);
    for (int c = a; c <= b; ++c) out.push_back(c);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

double cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

}  // namespace

const std::vector<std::string>& FaultEvaluator::behaviours() {
  static const std::vector<std::string> b = {"ok",  "segfault", "abort",   "throw", "alloc",
                                             "sleep", "nan",    "threads", "probe"};
  return b;
}

FaultEvaluator::FaultEvaluator(const SearchSpace& space) {
  for (int i = 0; i < space.num_decisions(); ++i)
    if (space.decision(i).name == "behaviour") behaviour_decision_ = i;
  if (behaviour_decision_ < 0)
    throw Error("task.kind: 'fault' needs a space decision named 'behaviour' whose choices are "
                "behaviours (ok, segfault, abort, throw, alloc, sleep, nan, threads, probe)");
  labels_ = space.decision(behaviour_decision_).choices;
  for (const auto& l : labels_)
    if (std::find(behaviours().begin(), behaviours().end(), l) == behaviours().end())
      throw Error("space: decision 'behaviour' has choice '" + l +
                  "', which is not a fault behaviour (ok, segfault, abort, throw, alloc, sleep, nan, "
                  "threads, probe)");
}

namespace {

// Spins 4 threads per budgeted thread for half a second: the metrics show how many
// threads ran and how much CPU they got (the budget's thread cap at work).
void spin_threads(const TrialBudget& budget, Metrics& metrics) {
  int n = 4 * std::max(1, budget.cpu_threads);
  std::atomic<bool> done{false};
  std::atomic<int> peak{0};
  double c0 = cpu_seconds();
  auto w0 = Clock::now();
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i)
    ts.emplace_back([&] {
      volatile uint64_t x = 0;
      while (!done.load(std::memory_order_relaxed)) x = x + 1;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  peak = std::atoi(status_value("Threads").c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  done = true;
  for (auto& t : ts) t.join();
  double wall = std::chrono::duration<double>(Clock::now() - w0).count();
  metrics["threads_peak"] = peak.load();
  metrics["cpu_utilization"] = (cpu_seconds() - c0) / wall;
}

// What the worker process was given: CPUs, threads, OMP_NUM_THREADS, address-space limit.
void probe_process(const TrialBudget& budget, Metrics& metrics) {
  auto cpus = cpu_list(status_value("Cpus_allowed_list"));
  double mask = 0;
  for (int c : cpus)
    if (c < 52) mask += std::ldexp(1.0, c);
  metrics["cpus_allowed_count"] = static_cast<double>(cpus.size());
  metrics["cpus_allowed_mask"] = mask;
  metrics["threads"] = std::atoi(status_value("Threads").c_str());
  const char* omp = std::getenv("OMP_NUM_THREADS");
  metrics["omp_num_threads"] = omp ? std::atoi(omp) : 0;
  metrics["budget_cpu_threads"] = budget.cpu_threads;
  struct rlimit rl {};
  getrlimit(RLIMIT_AS, &rl);
  metrics["rlimit_as_bytes"] = rl.rlim_cur == RLIM_INFINITY ? -1.0 : static_cast<double>(rl.rlim_cur);
}

}  // namespace

TrialResult FaultEvaluator::evaluate(const Architecture& arch, const TrialBudget& budget,
                                     const StopToken& stop, ProgressSink*) {
  MCTSNAS_CHECK(static_cast<int>(arch.choices.size()) > behaviour_decision_, "architecture too short");
  const std::string& b = labels_.at(arch.choices[static_cast<size_t>(behaviour_decision_)]);
  auto t0 = Clock::now();
  TrialResult r;
  double sum = 0;
  for (size_t i = 0; i < arch.choices.size(); ++i)
    if (static_cast<int>(i) != behaviour_decision_) sum += arch.choices[i];
  r.score = 0.5 + 0.01 * sum;

  if (b == "segfault") {
    std::raise(SIGSEGV);
  } else if (b == "abort") {
    std::abort();
  } else if (b == "throw") {
    throw std::runtime_error("fault evaluator: thrown on purpose");
  } else if (b == "alloc") {
    int64_t limit = budget.host_mem_bytes > 0 ? 4 * budget.host_mem_bytes : int64_t{512} << 20;
    std::vector<std::unique_ptr<char[]>> blocks;
    constexpr int64_t kBlock = int64_t{32} << 20;
    for (int64_t got = 0; got < limit && !stop.stop_requested(); got += kBlock) {
      blocks.emplace_back(new char[kBlock]);
      std::memset(blocks.back().get(), 1, kBlock);   // touch: resident, not just reserved
    }
    r.metrics["allocated_bytes"] = static_cast<double>(blocks.size()) * kBlock;
  } else if (b == "sleep") {
    double secs = budget.wall_seconds > 0 ? 3 * budget.wall_seconds + 1 : 10.0;
    while (std::chrono::duration<double>(Clock::now() - t0).count() < secs && !stop.stop_requested())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } else if (b == "nan") {
    r.score = std::nan("");
  } else if (b == "threads") {
    spin_threads(budget, r.metrics);
  } else if (b == "probe") {
    probe_process(budget, r.metrics);
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace mctsnas
