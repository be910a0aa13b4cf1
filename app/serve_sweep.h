#pragma once
// What `mctsnas serve-plan` measures and how it reads the figures, apart from running
// anything: the settings of a sweep (threads per instance, instances, CPU sets on one
// NUMA node, instances per GPU), the latency and throughput of a setting from its
// instances' request times, and the recommended setting.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mctsnas {

struct ServeSetting {
  std::string model = "winner";   // winner | reference (the param-matched Transformer)
  int gpu = -1;                   // CUDA device; -1: CPU
  int threads = 1;                // intra-op threads per instance
  int instances = 1;
  std::vector<std::vector<int>> cpu_sets;   // one per instance, on one NUMA node
};

// One setting at one batch size, over all of its instances running at once.
struct ServePoint {
  int64_t batch = 1;
  int64_t requests = 0;
  double p50_ms = 0, p99_ms = 0;   // per request (one batch), all instances' requests pooled
  double throughput = 0;           // sequences per second, all instances together
  int64_t gpu_peak_bytes = 0;      // the largest instance's peak CUDA allocation
  int64_t rss_bytes = 0;           // the largest instance's peak resident memory
};

struct SettingResult {
  ServeSetting setting;
  std::vector<ServePoint> points;  // one per batch size, in order
  double first_load_ms = 0;        // median over instances: the first load in a new process
  double second_load_ms = 0;       // the same files loaded again in that process
  double to_device_ms = 0;         // median: moving it to the GPU (a new process: CUDA's start too)
  int64_t params = 0;
  std::string error;               // the setting failed (the sweep goes on)
  bool skipped = false;            // not run: the time budget was spent
};

// CPU settings on one NUMA node whose usable CPUs are `node_cpus`, one PU per core
// first (Inventory::cpu_order), `cores` of them physical cores: intra-op threads
// t = 1, 2, 4, ... up to min(cores, max_threads) (and that maximum itself), each as one
// instance (the lowest latency) and as cores / t instances (the node full). Instance i
// of t threads gets CPUs [i t, (i + 1) t). No SMT siblings: they slow each other.
std::vector<ServeSetting> cpu_settings(const std::vector<int>& node_cpus, int cores, int max_threads);

// GPU settings: 1, 2, 4, ... up to max_instances instances on `gpu`, each with one
// intra-op thread on its own core of `node_cpus` (the GPU's NUMA node).
std::vector<ServeSetting> gpu_settings(int gpu, const std::vector<int>& node_cpus, int cores, int max_instances);

// Pools the instances' request times (ms) for one batch size; `elapsed_s`: the longest
// instance's measuring time.
ServePoint summarize_point(int64_t batch, std::vector<double> ms, double elapsed_s);

// Nearest-rank percentile (q in (0, 1]) of `v` (sorted in place). 0 when empty.
double percentile(std::vector<double>& v, double q);

struct ServeChoice {
  const SettingResult* setting = nullptr;   // null: nothing measured
  const ServePoint* point = nullptr;
};

// The highest-throughput point whose p99 is at most `p99_target_ms`, among the results
// of `model` on `gpu` (-1: CPU); when none meets it, the lowest-p99 point.
ServeChoice best_throughput(const std::vector<SettingResult>& results, const std::string& model, int gpu,
                            double p99_target_ms);
// The lowest-p50 point at batch size 1 with one instance.
ServeChoice lowest_latency(const std::vector<SettingResult>& results, const std::string& model, int gpu);

nlohmann::json to_json(const ServeSetting& s);
nlohmann::json to_json(const SettingResult& r);

}  // namespace mctsnas
