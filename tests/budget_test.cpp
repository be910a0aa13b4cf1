// Per-trial caps applied inside a process (runtime/budget.h) and the worker-side
// result classification (runtime/trial_worker.h). Caps that change the process are
// applied in a forked child, so this test process stays as it was.
#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <thread>

#include "runtime/budget.h"
#include "runtime/inventory.h"
#include "runtime/trial_worker.h"

using namespace mctsnas;

namespace {
// Runs `body` in a forked child; returns its exit code (or 128 + signal).
int in_child(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 99;
    try {
      rc = body();
    } catch (...) {
      rc = 98;
    }
    ::_exit(rc);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
}  // namespace

TEST_CASE("Budget: the CPU set is applied to every thread, existing and new", "[budget]") {
  std::vector<int> cpus = probe_inventory({false}).allowed_cpus;
  REQUIRE(!cpus.empty());
  int target = cpus.back();
  int rc = in_child([&] {
    std::atomic<bool> go{false};
    std::thread early([&] { while (!go) std::this_thread::sleep_for(std::chrono::milliseconds(1)); });
    TrialBudget b;
    b.cpu_set = {target};
    AppliedBudget a = apply_budget(b);
    if (!a.cpu_set) return 1;
    // The thread that existed before and one started after must both be pinned.
    auto pinned = [&](pid_t tid) {
      cpu_set_t s;
      CPU_ZERO(&s);
      if (sched_getaffinity(tid, sizeof s, &s) != 0) return false;
      return CPU_COUNT(&s) == 1 && CPU_ISSET(target, &s);
    };
    bool ok_early = pinned(static_cast<pid_t>(::gettid()));
    bool ok_later = false;
    std::thread later([&] { ok_later = pinned(0); });
    later.join();
    bool ok_other = true;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/task"))
      ok_other = ok_other && pinned(static_cast<pid_t>(std::stoi(e.path().filename().string())));
    go = true;
    early.join();
    return ok_early && ok_later && ok_other ? 0 : 2;
  });
  CHECK(rc == 0);
}

TEST_CASE("Budget: the host memory cap stops allocations beyond it", "[budget]") {
  const int64_t cap = int64_t{128} << 20;
  int rc = in_child([&] {
    TrialBudget b;
    b.host_mem_bytes = cap;
    AppliedBudget a = apply_budget(b);
    if (a.host_memory == "none") return 3;
    if (a.host_memory == "watchdog") return 0;   // enforced by the parent; nothing to see here
    // Within the cap: fine. Far past it (cap + slack + more): must fail. Through a
    // volatile pointer, so that the compiler cannot elide the allocation.
    void* (*volatile alloc)(size_t) = std::malloc;
    void* small = alloc(static_cast<size_t>(cap / 2));
    if (!small) return 4;
    std::memset(small, 1, static_cast<size_t>(cap / 2));
    std::free(small);
    void* big = alloc(static_cast<size_t>(cap + kAddressSpaceSlack + (int64_t{256} << 20)));
    if (!big) return 0;
    std::free(big);
    return 5;
  });
  CHECK(rc == 0);
}

TEST_CASE("Budget: thread-count environment for OpenMP and BLAS pools", "[budget]") {
  auto env = thread_env(3);
  REQUIRE(env.size() == 3);
  for (const auto& [k, v] : env) CHECK(v == "3");
  CHECK(thread_env(0).front().second == "1");
}

TEST_CASE("Budget: /proc readers see this process", "[budget]") {
  CHECK(process_rss_bytes(::getpid()) > 0);
  CHECK(process_threads(::getpid()) >= 1);
  CHECK(process_rss_bytes(999999999) == -1);
}

TEST_CASE("Trial worker: exceptions and non-finite scores become statuses", "[budget]") {
  CHECK(result_from_exception(std::bad_alloc()).status == TrialStatus::oom_host);
  CHECK(result_from_exception(std::runtime_error("CUDA out of memory. Tried to allocate 2 GiB\nmore"))
            .status == TrialStatus::oom_gpu);
  auto crashed = result_from_exception(std::runtime_error("boom\nstack trace"));
  CHECK(crashed.status == TrialStatus::crashed);
  CHECK(crashed.error == "boom");
  TrialResult r;
  r.score = std::nan("");
  mark_non_finite_as_diverged(r);
  CHECK(r.status == TrialStatus::diverged);
  TrialResult inf;
  inf.status = TrialStatus::timeout;
  inf.score = INFINITY;
  mark_non_finite_as_diverged(inf);
  CHECK(inf.status == TrialStatus::timeout);   // an unscored status stays as it is
}

TEST_CASE("Trial worker: request JSON round trip and bad requests", "[budget]") {
  WorkerRequest r;
  r.id = 42;
  r.arch.choices = {1, 0, 3};
  r.budget.cpu_set = {2, 3};
  r.budget.gpu = 1;
  r.budget.wall_seconds = 5;
  r.seed = 3;
  WorkerRequest back = worker_request_from_json(to_json(r), "req");
  CHECK(back.id == 42);
  CHECK(back.seed == 3);
  CHECK(back.arch == r.arch);
  CHECK(back.budget.cpu_set == r.budget.cpu_set);
  CHECK(back.budget.gpu == 1);
  CHECK_THROWS_WITH(worker_request_from_json(nlohmann::json{{"id", 1}}, "req"), Catch::Contains("req"));
}
