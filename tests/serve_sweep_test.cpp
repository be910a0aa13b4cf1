// serve-plan's sweep without running a model: which settings it measures on a NUMA
// node or a GPU, how instances' request times become p50/p99 and throughput, which
// setting it recommends, and serving.yaml's shape.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include "app/serve_plan_output.h"
#include "app/serve_sweep.h"

using namespace mctsnas;

namespace {

std::vector<int> iota_cpus(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

SettingResult result(const std::string& model, int gpu, int threads, int instances,
                     std::vector<std::tuple<int64_t, double, double>> points) {   // batch, p99, throughput
  SettingResult r;
  r.setting = {model, gpu, threads, instances, {}};
  for (auto [b, p99, tp] : points) {
    ServePoint p;
    p.batch = b;
    p.p50_ms = p99 / 2;
    p.p99_ms = p99;
    p.throughput = tp;
    r.points.push_back(p);
  }
  return r;
}

}  // namespace

TEST_CASE("cpu settings: powers of two threads, one instance and a full node, disjoint CPU sets", "[serve]") {
  const auto s = cpu_settings(iota_cpus(16), 16, 0);
  std::vector<std::pair<int, int>> shape;
  for (const auto& x : s) shape.emplace_back(x.threads, x.instances);
  CHECK(shape == std::vector<std::pair<int, int>>{{1, 1}, {1, 16}, {2, 1}, {2, 8}, {4, 1}, {4, 4}, {8, 1}, {8, 2}, {16, 1}});
  const auto& full = s[3];   // 2 threads x 8 instances
  REQUIRE(full.cpu_sets.size() == 8);
  CHECK(full.cpu_sets[0] == std::vector<int>{0, 1});
  CHECK(full.cpu_sets[7] == std::vector<int>{14, 15});
  // 12 cores: 12 itself is tried; 4 threads fill with 3 instances.
  const auto twelve = cpu_settings(iota_cpus(24), 12, 0);
  CHECK(twelve.back().threads == 12);
  CHECK(std::any_of(twelve.begin(), twelve.end(), [](const auto& x) { return x.threads == 4 && x.instances == 3; }));
  // A cap on threads, and a 2-core machine.
  CHECK(cpu_settings(iota_cpus(16), 16, 4).back().threads == 4);
  CHECK(cpu_settings({5, 7}, 2, 0).size() == 3);
  CHECK(cpu_settings({5, 7}, 2, 0)[1].cpu_sets == std::vector<std::vector<int>>{{5}, {7}});
}

TEST_CASE("gpu settings: 1, 2, 4, ... instances, each on its own core", "[serve]") {
  const auto s = gpu_settings(1, iota_cpus(16), 16, 8);
  REQUIRE(s.size() == 4);
  CHECK(s[3].instances == 8);
  CHECK(s[3].gpu == 1);
  CHECK(s[3].cpu_sets[7] == std::vector<int>{7});
  CHECK(gpu_settings(0, iota_cpus(2), 2, 8).size() == 2);
}

TEST_CASE("a point pools every instance's requests: nearest-rank percentiles, sequences per second", "[serve]") {
  std::vector<double> ms;
  for (int i = 1; i <= 100; ++i) ms.push_back(i);
  const auto p = summarize_point(4, ms, 2.0);
  CHECK(p.requests == 100);
  CHECK(p.p50_ms == 50);
  CHECK(p.p99_ms == 99);
  CHECK(p.throughput == Approx(200));   // 100 requests x 4 sequences / 2 s
  std::vector<double> one = {7};
  CHECK(percentile(one, 0.99) == 7);
  std::vector<double> none;
  CHECK(percentile(none, 0.5) == 0);
}

TEST_CASE("the recommendation: most throughput within the p99 target, else the lowest p99", "[serve]") {
  const std::vector<SettingResult> rs = {
      result("winner", -1, 1, 1, {{1, 2.0, 500}, {8, 9.0, 900}}),
      result("winner", -1, 1, 2, {{1, 3.0, 800}, {8, 20.0, 1500}}),
      result("winner", -1, 2, 1, {{1, 1.5, 600}}),
      result("reference", -1, 1, 1, {{1, 50.0, 20}}),
      result("winner", 0, 1, 1, {{1, 1.0, 5000}}),
  };
  auto c = best_throughput(rs, "winner", -1, 10.0);
  REQUIRE(c.point);
  CHECK(c.point->throughput == 900);
  CHECK(best_throughput(rs, "winner", -1, 100.0).point->throughput == 1500);
  CHECK(best_throughput(rs, "winner", -1, 1.0).point->p99_ms == 1.5);   // none meets 1 ms: the lowest p99
  CHECK(best_throughput(rs, "winner", 0, 10.0).point->throughput == 5000);
  CHECK_FALSE(best_throughput(rs, "winner", 3, 10.0).point);
  const auto fast = lowest_latency(rs, "winner", -1);
  REQUIRE(fast.point);
  CHECK(fast.setting->setting.threads == 2);

  const auto rec = recommendations_json(rs, 10.0);
  CHECK(rec["winner"]["cpu"]["throughput_per_s"] == 900);
  CHECK(rec["winner"]["cpu"]["meets_p99_target"] == true);
  CHECK(rec["winner"]["cpu"]["lowest_latency"]["threads_per_instance"] == 2);
  CHECK(rec["reference"]["cpu"]["meets_p99_target"] == false);
  CHECK(rec["winner"].contains("cuda:0"));
}

TEST_CASE("serving.yaml holds the model, the machine and one recommendation per model and device", "[serve]") {
  const std::vector<SettingResult> rs = {result("winner", -1, 2, 4, {{16, 8.0, 3000}}),
                                         result("reference", -1, 4, 2, {{8, 9.0, 1000}})};
  Inventory inv;
  inv.cpu_model = "Test CPU";
  inv.cores = 8;
  ServePlanOptions o;
  o.run_dir = "/runs/r";
  const auto plan = serve_plan_json({o, "int8", "/runs/r/best/compressed/int8", "g2p", inv, 0, 12.5}, rs);
  CHECK(plan["settings"].size() == 2);
  const YAML::Node y = YAML::Load(serving_yaml(plan));
  CHECK(y["model"]["variant"].as<std::string>() == "int8");
  CHECK(y["measured_on"]["cpu"]["model"].as<std::string>() == "Test CPU");
  CHECK(y["serve"]["cpu"]["threads_per_instance"].as<int>() == 2);
  CHECK(y["serve"]["cpu"]["instances_per_numa_node"].as<int>() == 4);
  CHECK(y["serve"]["cpu"]["batch_size"].as<int>() == 16);
  CHECK(y["reference_transformer"]["cpu"]["threads_per_instance"].as<int>() == 4);
  CHECK(y["p99_target_ms"].as<double>() == 100);
}
