// ProcessPool end to end: real `mctsnas trial` workers running the fault evaluator,
// forked by the fork server (the default) and, where marked, exec'd. Each
// misbehaviour must come back with its status while this process (the parent)
// survives and every other trial's result is kept.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include "evaluator/fault_evaluator.h"
#include "run_dir_fixture.h"
#include "runtime/budgeter.h"
#include "runtime/inventory.h"
#include "runtime/process_pool.h"

using namespace mctsnas;
using mctsnas::testing::TempDir;
using mctsnas::testing::write_text;

namespace {

std::string fault_config(const std::string& per_trial) {
  return test::fault_config("fault", 1, FaultEvaluator::behaviours(), 3,
                            "resources: {isolation: process, per_trial: " + per_trial + "}\n");
}

Choice behaviour(const std::string& name) {
  const auto& b = FaultEvaluator::behaviours();
  return static_cast<Choice>(std::find(b.begin(), b.end(), name) - b.begin());
}

struct PoolFixture {
  TempDir dir{"pool"};
  std::unique_ptr<ProcessPool> pool;
  PoolFixture(const std::string& per_trial, int parallel, int cpu_threads = 1, int64_t host_mem = 0,
              double wall = 0, bool fork_server = true) {
    write_text(dir.path() / "config.yaml", fault_config(per_trial));
    InventoryOptions io;
    io.probe_gpus = false;
    BudgeterOptions bo;
    bo.resources.devices = "cpu";
    bo.resources.per_trial.cpu_threads = cpu_threads;
    bo.resources.per_trial.host_memory = host_mem;
    bo.resources.per_trial.wall_time = wall;
    bo.max_parallel = parallel;
    ProcessPoolOptions po;
    po.executable = MCTSNAS_BINARY;
    po.worker_args = {"trial", "--config", (dir.path() / "config.yaml").string()};
    po.log_dir = dir.path() / "logs";
    po.fork_server = fork_server;
    pool = std::make_unique<ProcessPool>(po, Budgeter(probe_inventory(io), bo));
  }
  // Waits until `n` outcomes are back (or 60 s pass).
  std::map<uint64_t, TrialOutcome> collect(size_t n) {
    std::map<uint64_t, TrialOutcome> got;
    auto t0 = std::chrono::steady_clock::now();
    while (got.size() < n && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
      for (auto& o : pool->wait(1.0)) got[o.id] = o;
    return got;
  }
};

}  // namespace

TEST_CASE("ProcessPool: each fault gives its status and the rest survive", "[process_pool]") {
  const int64_t cap = int64_t{256} << 20;
  const bool fork_server = GENERATE(true, false);
  INFO((fork_server ? "fork server" : "exec'd workers"));
  // Wall time 10 s: long enough for an exec'd worker to start (LibTorch loads) and every
  // other fault to finish on a loaded 2-core CI machine.
  PoolFixture f("{cpu_threads: 1, host_memory: 256MiB, wall_time: 10s}", 2, 1, cap, 10.0, fork_server);
  const auto& names = FaultEvaluator::behaviours();
  for (size_t i = 0; i < names.size(); ++i)
    f.pool->submit({i, Architecture{{behaviour(names[i]), 1}}});
  auto got = f.collect(names.size());
  REQUIRE(got.size() == names.size());
  CHECK(f.pool->in_flight() == 0);
  auto status_of = [&](const std::string& b) { return got.at(behaviour(b)).result.status; };
  auto error_of = [&](const std::string& b) { return got.at(behaviour(b)).result.error; };

  CHECK(status_of("ok") == TrialStatus::ok);
  CHECK(got.at(behaviour("ok")).result.score == Approx(0.51));
  CHECK(status_of("segfault") == TrialStatus::crashed);
  CHECK_THAT(error_of("segfault"), Catch::Contains("SIGSEGV"));
  CHECK(status_of("abort") == TrialStatus::crashed);
  CHECK_THAT(error_of("abort"), Catch::Contains("SIGABRT"));
  CHECK(status_of("throw") == TrialStatus::crashed);
  CHECK_THAT(error_of("throw"), Catch::Contains("thrown on purpose"));
  CHECK(status_of("alloc") == TrialStatus::oom_host);
  CHECK(status_of("sleep") == TrialStatus::timeout);
  CHECK(got.at(behaviour("sleep")).result.seconds < 20.0);   // killed at ~10 s, not its 31 s sleep
  CHECK(status_of("nan") == TrialStatus::diverged);
  CHECK(status_of("threads") == TrialStatus::ok);
  CHECK(status_of("probe") == TrialStatus::ok);
  for (const auto& [id, o] : got) {
    INFO(names[id] << ": " << o.result.error);
    CHECK(o.device == "cpu");
    CHECK(o.budget.cpu_set.size() == 1);
    CHECK(o.finished_at >= o.started_at);
    CHECK(std::filesystem::exists(f.dir.path() / "logs" / ("trial-" + std::to_string(id) + ".log")));
  }
  CHECK(f.pool->using_fork_server() == fork_server);   // no silent fallback to exec'd workers
}

TEST_CASE("ProcessPool: the worker runs on its CPU set with its thread caps (read from /proc)",
          "[process_pool]") {
  // probe reads /proc/self/status (Cpus_allowed_list, Threads) inside the worker.
  int cpus = static_cast<int>(probe_inventory({false}).allowed_cpus.size());
  int threads = cpus >= 2 ? 2 : 1;
  PoolFixture f("{cpu_threads: " + std::to_string(threads) + ", host_memory: 1GiB}", 1, threads,
                int64_t{1} << 30);
  f.pool->submit({0, Architecture{{behaviour("probe"), 0}}});
  f.pool->submit({1, Architecture{{behaviour("threads"), 0}}});
  auto got = f.collect(2);
  REQUIRE(got.size() == 2);
  const TrialOutcome& probe = got.at(0);
  REQUIRE(probe.result.status == TrialStatus::ok);
  const Metrics& m = probe.result.metrics;
  CHECK(m.at("cpus_allowed_count") == threads);
  double mask = 0;
  for (int c : probe.budget.cpu_set) mask += std::ldexp(1.0, c);
  CHECK(m.at("cpus_allowed_mask") == mask);           // exactly the budget's CPU set
  CHECK(m.at("omp_num_threads") == threads);          // OpenMP/BLAS pools capped
  CHECK(m.at("budget_cpu_threads") == threads);       // LibTorch intra-op threads
  CHECK(m.at("threads") <= 4);                         // the worker itself starts few threads
  CHECK(m.at("rlimit_as_bytes") > 0);                  // CPU trial: address-space cap applied
  // 4x too many busy threads: confined to the CPU set, so they use at most its cores.
  const TrialOutcome& th = got.at(1);
  REQUIRE(th.result.status == TrialStatus::ok);
  CHECK(th.result.metrics.at("threads_peak") >= 4 * threads);
  CHECK(th.result.metrics.at("cpu_utilization") <= threads + 0.25);
  CHECK(f.pool->using_fork_server());
}

TEST_CASE("ProcessPool: queues beyond capacity, never more workers than slots", "[process_pool]") {
  PoolFixture f("{cpu_threads: 1}", 1);
  REQUIRE(f.pool->capacity() == 1);
  for (uint64_t i = 0; i < 3; ++i) f.pool->submit({i, Architecture{{behaviour("ok"), static_cast<Choice>(i)}}});
  CHECK(f.pool->in_flight() == 3);
  size_t max_workers = 0;
  std::map<uint64_t, TrialOutcome> got;
  auto t0 = std::chrono::steady_clock::now();
  while (got.size() < 3 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60)) {
    max_workers = std::max(max_workers, f.pool->worker_pids().size());
    for (auto& o : f.pool->wait(0.05)) got[o.id] = o;
  }
  REQUIRE(got.size() == 3);
  CHECK(max_workers == 1);
  for (uint64_t i = 0; i < 3; ++i) CHECK(got.at(i).result.score == Approx(0.5 + 0.01 * i));
}

TEST_CASE("ProcessPool: stop() keeps trials that finish in the grace period, kills the rest",
          "[process_pool]") {
  PoolFixture f("{cpu_threads: 1}", 2);
  REQUIRE(f.pool->capacity() == 2);
  f.pool->submit({0, Architecture{{behaviour("ok"), 0}}});
  f.pool->submit({1, Architecture{{behaviour("sleep"), 0}}});   // 10 s without a wall time
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto pids = f.pool->worker_pids();
  auto t0 = std::chrono::steady_clock::now();
  f.pool->stop(2.0);   // room for the quick trial to finish on a loaded machine
  std::vector<TrialOutcome> got;
  while (f.pool->in_flight() > 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10))
    for (auto& o : f.pool->wait(0.1)) got.push_back(o);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(got.size() == 1);
  CHECK(got[0].id == 0);
  CHECK(got[0].result.status == TrialStatus::ok);
  CHECK(took < 5.0);   // the sleeper was killed at the 2 s deadline, not waited for (10 s)
  for (int pid : pids) CHECK(::kill(pid, 0) != 0);   // reaped: no such process
  CHECK(f.pool->using_fork_server());
}

// The fork server cannot start either: the pool falls back to exec'd workers, which
// report the cause per trial.
TEST_CASE("ProcessPool: a worker that cannot start its evaluator is a crashed trial", "[process_pool]") {
  TempDir dir("pool-bad");
  write_text(dir.path() / "config.yaml", "name: bad\nnot_a_key: 1\n");
  BudgeterOptions bo;
  bo.resources.devices = "cpu";
  ProcessPoolOptions po;
  po.executable = MCTSNAS_BINARY;
  po.worker_args = {"trial", "--config", (dir.path() / "config.yaml").string()};
  ProcessPool pool(po, Budgeter(probe_inventory({false}), bo));
  pool.submit({7, Architecture{{0, 0}}});
  std::vector<TrialOutcome> got;
  for (int i = 0; i < 100 && got.empty(); ++i) got = pool.wait(0.5);
  REQUIRE(got.size() == 1);
  CHECK(got[0].result.status == TrialStatus::crashed);
  CHECK_THAT(got[0].result.error, Catch::Contains("exited with code 2"));
  CHECK_THAT(got[0].result.error, Catch::Contains("not_a_key"));
  CHECK_FALSE(pool.using_fork_server());
}

// Issue 13, defect 6: a SIGKILL (or SIGINT) sent by someone else to a trial with no
// memory cap is not an out-of-memory kill; it is recorded as killed, naming the signal.
TEST_CASE("ProcessPool: an outside signal to a worker is recorded as killed, not oom_host", "[process_pool]") {
  const bool fork_server = GENERATE(true, false);
  const int sig = GENERATE(SIGKILL, SIGINT);   // (SIGTERM asks the trial to stop: a result)
  INFO((fork_server ? "fork server" : "exec'd workers") << ", signal " << sig);
  PoolFixture f("{cpu_threads: 1}", 1, 1, 0, 0, fork_server);
  f.pool->submit({0, Architecture{{behaviour("sleep"), 0}}});   // 10 s without a wall time
  std::vector<int> pids;
  auto t0 = std::chrono::steady_clock::now();
  while (pids.empty() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)) {
    f.pool->wait(0.05);
    pids = f.pool->worker_pids();
  }
  REQUIRE(pids.size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));   // past the worker's start-up
  REQUIRE(::kill(pids[0], sig) == 0);
  auto got = f.collect(1);
  REQUIRE(got.size() == 1);
  const TrialResult& r = got.at(0).result;
  INFO(r.error);
  CHECK(r.status == TrialStatus::killed);
  CHECK_THAT(r.error, Catch::Contains(sig == SIGKILL ? "SIGKILL" : "SIGINT"));
  CHECK_THAT(r.error, Catch::Contains("from outside mctsnas") && Catch::Contains("not for memory"));
}
