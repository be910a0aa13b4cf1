#include "app/serve_sweep.h"

#include <algorithm>
#include <cmath>

#include "runtime/inventory.h"

namespace mctsnas {
namespace {

// 1, 2, 4, ... below `top`, then `top`.
std::vector<int> powers_up_to(int top) {
  std::vector<int> out;
  for (int t = 1; t < top; t *= 2) out.push_back(t);
  if (top >= 1) out.push_back(top);
  return out;
}

ServeSetting setting_on(const std::vector<int>& cpus, int threads, int instances, int gpu) {
  ServeSetting s;
  s.gpu = gpu;
  s.threads = threads;
  s.instances = instances;
  for (int i = 0; i < instances; ++i)
    s.cpu_sets.emplace_back(cpus.begin() + i * threads, cpus.begin() + (i + 1) * threads);
  return s;
}

bool better_throughput(const ServePoint& a, const ServePoint& b) { return a.throughput > b.throughput; }

}  // namespace

std::vector<ServeSetting> cpu_settings(const std::vector<int>& node_cpus, int cores, int max_threads) {
  cores = std::min<int>(cores, static_cast<int>(node_cpus.size()));
  const int top = max_threads > 0 ? std::min(cores, max_threads) : cores;
  std::vector<ServeSetting> out;
  for (int t : powers_up_to(top)) {
    out.push_back(setting_on(node_cpus, t, 1, -1));
    if (cores / t > 1) out.push_back(setting_on(node_cpus, t, cores / t, -1));
  }
  return out;
}

std::vector<ServeSetting> gpu_settings(int gpu, const std::vector<int>& node_cpus, int cores, int max_instances) {
  cores = std::min<int>(cores, static_cast<int>(node_cpus.size()));
  std::vector<ServeSetting> out;
  for (int n = 1; n <= std::min(cores, max_instances); n *= 2) out.push_back(setting_on(node_cpus, 1, n, gpu));
  return out;
}

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

ServePoint summarize_point(int64_t batch, std::vector<double> ms, double elapsed_s) {
  ServePoint p;
  p.batch = batch;
  p.requests = static_cast<int64_t>(ms.size());
  p.p50_ms = percentile(ms, 0.50);
  p.p99_ms = percentile(ms, 0.99);
  p.throughput = elapsed_s > 0 ? static_cast<double>(p.requests * batch) / elapsed_s : 0;
  return p;
}

ServeChoice best_throughput(const std::vector<SettingResult>& results, const std::string& model, int gpu,
                            double p99_target_ms) {
  ServeChoice within, fastest;
  for (const auto& r : results) {
    if (r.setting.model != model || r.setting.gpu != gpu) continue;
    for (const auto& p : r.points) {
      if (p.p99_ms <= p99_target_ms && (!within.point || better_throughput(p, *within.point))) within = {&r, &p};
      if (!fastest.point || p.p99_ms < fastest.point->p99_ms) fastest = {&r, &p};
    }
  }
  return within.point ? within : fastest;
}

ServeChoice lowest_latency(const std::vector<SettingResult>& results, const std::string& model, int gpu) {
  ServeChoice best;
  for (const auto& r : results) {
    if (r.setting.model != model || r.setting.gpu != gpu || r.setting.instances != 1) continue;
    for (const auto& p : r.points)
      if (p.batch == 1 && (!best.point || p.p50_ms < best.point->p50_ms)) best = {&r, &p};
  }
  return best;
}

nlohmann::json to_json(const ServeSetting& s) {
  nlohmann::json sets = nlohmann::json::array();
  for (const auto& c : s.cpu_sets) sets.push_back(format_cpu_list(c));
  return {{"model", s.model}, {"device", s.gpu >= 0 ? "cuda:" + std::to_string(s.gpu) : "cpu"},
          {"threads_per_instance", s.threads}, {"instances", s.instances}, {"cpu_sets", sets}};
}

nlohmann::json to_json(const SettingResult& r) {
  nlohmann::json j = to_json(r.setting);
  if (r.skipped) j["skipped"] = "the time budget was spent";
  if (!r.error.empty()) j["error"] = r.error;
  j["params"] = r.params;
  j["first_load_ms"] = r.first_load_ms;
  j["second_load_ms"] = r.second_load_ms;
  if (r.setting.gpu >= 0) j["to_gpu_ms"] = r.to_device_ms;
  j["points"] = nlohmann::json::array();
  for (const auto& p : r.points)
    j["points"].push_back({{"batch", p.batch}, {"requests", p.requests}, {"p50_ms", p.p50_ms},
                           {"p99_ms", p.p99_ms}, {"throughput_per_s", p.throughput},
                           {"gpu_peak_bytes", p.gpu_peak_bytes}, {"rss_bytes", p.rss_bytes}});
  return j;
}

}  // namespace mctsnas
