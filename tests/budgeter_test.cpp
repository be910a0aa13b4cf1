#include <catch2/catch.hpp>

#include <set>

#include "common/error.h"
#include "runtime/budgeter.h"

using namespace mctsnas;

namespace {
// Two NUMA nodes of 4 CPUs, one GPU on each, 64 GiB.
Inventory two_socket() {
  Inventory inv;
  for (int c = 0; c < 8; ++c) inv.allowed_cpus.push_back(c);
  inv.cpu_order = inv.allowed_cpus;
  inv.pus = inv.cores = 8;
  inv.numa_nodes = {{0, {0, 1, 2, 3}, 0}, {1, {4, 5, 6, 7}, 0}};
  inv.host_memory_bytes = inv.host_available_bytes = int64_t{64} << 30;
  GpuInfo g0, g1;
  g0.index = 0;
  g0.numa_node = 1;   // deliberately the "far" node for CPU 0
  g0.memory_total_bytes = int64_t{80} << 30;
  g1 = g0;
  g1.index = 1;
  g1.numa_node = 0;
  inv.gpus = {g0, g1};
  return inv;
}
BudgeterOptions opts(const std::string& devices, int threads, int parallel) {
  BudgeterOptions o;
  o.resources.devices = devices;
  o.resources.per_trial.cpu_threads = threads;
  o.max_parallel = parallel;
  return o;
}
}  // namespace

TEST_CASE("Budgeter: CPU trials get disjoint CPU sets; capacity is CPUs / threads", "[budgeter]") {
  Budgeter b(two_socket(), opts("cpu", 3, 16));
  CHECK(b.capacity() == 2);   // 8 CPUs / 3 threads
  auto s1 = b.acquire(), s2 = b.acquire();
  REQUIRE(s1);
  REQUIRE(s2);
  CHECK_FALSE(b.acquire());
  CHECK(s1->device == "cpu");
  CHECK(!s1->budget.gpu);
  CHECK(s1->budget.cpu_set.size() == 3);
  std::set<int> all(s1->budget.cpu_set.begin(), s1->budget.cpu_set.end());
  for (int c : s2->budget.cpu_set) CHECK(all.insert(c).second);
  b.release(*s1);
  auto s3 = b.acquire();
  REQUIRE(s3);
  CHECK(s3->budget.cpu_set == s1->budget.cpu_set);   // the freed CPUs are reused
}

TEST_CASE("Budgeter: GPU trials get CPUs on their GPU's NUMA node", "[budgeter]") {
  auto o = opts("cuda", 2, 4);
  o.resources.trials_per_gpu = "2";
  Budgeter b(two_socket(), o);
  CHECK(b.capacity() == 4);
  for (int i = 0; i < 4; ++i) {
    auto s = b.acquire();
    REQUIRE(s);
    REQUIRE(s->budget.gpu);
    int node = *s->budget.gpu == 0 ? 1 : 0;
    for (int c : s->budget.cpu_set) CHECK((c >= 4) == (node == 1));
    CHECK(s->device == "cuda:" + std::to_string(*s->budget.gpu));
    CHECK(s->budget.gpu_mem_bytes > 0);
    CHECK(s->budget.gpu_mem_bytes * 2 < (int64_t{80} << 30));   // each gets its share
  }
  CHECK_FALSE(b.acquire());
}

TEST_CASE("Budgeter: trials_per_gpu auto starts trials at once in capped shares, then packs by measured memory",
          "[budgeter]") {
  auto o = opts("cuda:0", 1, 64);
  Inventory inv = two_socket();
  for (int c = 8; c < 64; ++c) inv.allowed_cpus.push_back(c);   // plenty of CPUs
  inv.cpu_order = inv.allowed_cpus;
  inv.numa_nodes[0].cpus = inv.allowed_cpus;
  const int64_t usable = static_cast<int64_t>(double(int64_t{80} << 30) * o.gpu_usable_fraction);
  Budgeter b(inv, o);
  // Nothing measured yet: 73.6 GiB usable / (4 GiB minimum share + 600 MiB context)
  // = 16 trials at once, not one probe alone.
  CHECK(b.capacity() == 16);
  std::vector<Slot> probes;
  int64_t committed = 0;
  while (auto x = b.acquire()) {
    CHECK(x->budget.gpu_mem_bytes >= o.probe_min_cap_bytes);
    committed += x->budget.gpu_mem_bytes + o.cuda_context_bytes;
    probes.push_back(*x);
  }
  CHECK(probes.size() == 16);
  CHECK(committed <= usable);   // enforced caps: neighbours cannot run each other out of memory

  TrialResult r;
  r.metrics["gpu_peak_allocated_bytes"] = double(int64_t{2} << 30);   // 2 GiB measured
  b.release(probes.back(), &r);
  probes.pop_back();
  // 73.6 GiB / (2 GiB x 1.5 + 600 MiB context) = 20 trials at once ...
  CHECK(b.capacity() == 20);
  // ... but the 15 probes still hold their larger shares: only what fits beside them.
  std::vector<Slot> slots;
  while (auto x = b.acquire()) slots.push_back(*x);
  CHECK(slots.size() == 1);
  committed = 0;
  for (const auto& x : probes) committed += x.budget.gpu_mem_bytes + o.cuda_context_bytes;
  for (const auto& x : slots) committed += x.budget.gpu_mem_bytes + o.cuda_context_bytes;
  CHECK(committed <= usable);
  for (const auto& p : probes) b.release(p, &r);
  while (auto x = b.acquire()) slots.push_back(*x);
  CHECK(slots.size() == 20);
  int64_t total = 0;
  for (const auto& x : slots) {
    total += x.budget.gpu_mem_bytes + o.cuda_context_bytes;
    CHECK(x.budget.gpu_mem_bytes >= int64_t{3} << 30);   // room for its measured peak x margin
  }
  CHECK(total <= usable);
  // A bigger trial measured later shrinks packing for new trials.
  r.metrics["gpu_peak_allocated_bytes"] = double(int64_t{8} << 30);
  b.release(slots.back(), &r);
  CHECK(b.capacity() < 20);
}

TEST_CASE("Budgeter: GPU shares follow the CPU limit when CPUs allow fewer trials than memory", "[budgeter]") {
  // 8 CPUs, 1 thread each: 8 trials at most, so each gets 1/8 of the GPU (not 1/16).
  auto o = opts("cuda:0", 1, 64);
  Budgeter b(two_socket(), o);
  CHECK(b.capacity() == 8);
  const int64_t usable = static_cast<int64_t>(double(int64_t{80} << 30) * o.gpu_usable_fraction);
  int n = 0;
  while (auto x = b.acquire()) {
    CHECK(x->budget.gpu_mem_bytes == usable / 8 - o.cuda_context_bytes);
    ++n;
  }
  CHECK(n == 8);
}

TEST_CASE("Budgeter: a GPU smaller than one share still runs one trial", "[budgeter]") {
  auto o = opts("cuda:0", 1, 8);
  o.resources.per_trial.gpu_memory = int64_t{100} << 30;   // more than the 80 GiB card
  Budgeter b(two_socket(), o);
  CHECK(b.capacity() == 1);
  auto s = b.acquire();
  REQUIRE(s);
  CHECK(s->budget.gpu_mem_bytes == int64_t{100} << 30);
  CHECK_FALSE(b.acquire());
  b.release(*s);
  CHECK(b.acquire());
}

TEST_CASE("Budgeter: host memory and search.parallel bound capacity", "[budgeter]") {
  auto o = opts("cpu", 1, 3);
  CHECK(Budgeter(two_socket(), o).capacity() == 3);
  o.max_parallel = 100;
  o.resources.per_trial.host_memory = int64_t{20} << 30;   // 64 GiB / 20 GiB = 3
  CHECK(Budgeter(two_socket(), o).capacity() == 3);
}

TEST_CASE("Budgeter: devices strings and errors", "[budgeter]") {
  Inventory inv = two_socket();
  CHECK(parse_devices("auto", inv) == std::vector<int>{0, 1});
  CHECK(parse_devices("cpu", inv).empty());
  CHECK(parse_devices("cuda:1", inv) == std::vector<int>{1});
  CHECK(parse_devices("cuda:0,1", inv) == std::vector<int>{0, 1});
  CHECK_THROWS_WITH(parse_devices("cuda:2", inv), Catch::Contains("GPU 2 does not exist"));
  CHECK_THROWS_WITH(parse_devices("cuda:x", inv), Catch::Contains("resources.devices"));
  CHECK_THROWS_WITH(parse_devices("tpu", inv), Catch::Contains("resources.devices"));
  inv.gpus.clear();
  CHECK(parse_devices("auto", inv).empty());
  CHECK_THROWS_WITH(parse_devices("cuda", inv), Catch::Contains("no GPU is visible"));
  auto o = opts("cpu", 1, 1);
  o.resources.trials_per_gpu = "0";
  CHECK_THROWS_WITH(Budgeter(two_socket(), o), Catch::Contains("resources.trials_per_gpu"));
}
