#include "app/serve_plan_output.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <ostream>
#include <set>

#include "app/trial_log.h"
#include "runtime/inline_pool.h"
#ifdef MCTSNAS_HAVE_TORCH
#include <torch/version.h>
#endif

namespace mctsnas {
namespace {

nlohmann::json choice_json(const ServeChoice& c, double p99_target_ms) {
  const auto& s = *c.setting;
  const auto& p = *c.point;
  nlohmann::json j = to_json(s.setting);
  j.erase("model");
  // Instances are per NUMA node (CPU) or per GPU: a machine with more runs the same on each.
  j[s.setting.gpu >= 0 ? "instances_per_gpu" : "instances_per_numa_node"] = j["instances"];
  j.erase("instances");
  j["batch_size"] = p.batch;
  j["p50_ms"] = p.p50_ms;
  j["p99_ms"] = p.p99_ms;
  j["throughput_per_s"] = p.throughput;
  j["meets_p99_target"] = p.p99_ms <= p99_target_ms;
  j["host_memory_per_instance_bytes"] = p.rss_bytes;
  if (s.setting.gpu >= 0) j["gpu_memory_per_instance_bytes"] = p.gpu_peak_bytes;
  j["params"] = s.params;
  j["load_ms"] = {{"first_in_process", s.first_load_ms}, {"again", s.second_load_ms}};
  if (s.setting.gpu >= 0) j["to_gpu_ms"] = s.to_device_ms;
  return j;
}

void emit(YAML::Emitter& e, const nlohmann::json& j) {
  if (j.is_object()) {
    e << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      e << YAML::Key << k << YAML::Value;
      emit(e, v);
    }
    e << YAML::EndMap;
  } else if (j.is_array()) {
    e << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : j) emit(e, v);
    e << YAML::EndSeq;
  } else if (j.is_string()) {
    // Quoted when YAML would read it as a number: a CPU set "3" stays a string.
    const auto& text = j.get_ref<const std::string&>();
    const bool numeric = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
    if (numeric) e << YAML::DoubleQuoted;
    e << text;
  } else if (j.is_boolean()) {
    e << j.get<bool>();
  } else if (j.is_number_integer()) {
    e << j.get<int64_t>();
  } else if (j.is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", j.get<double>());
    e << buf;
  } else {
    e << YAML::Null;
  }
}

}  // namespace

nlohmann::json machine_json(const Inventory& inv) {
  const auto all = to_json(inv);
  nlohmann::json m = {{"measured_at", utc_time_of_clock(run_clock_seconds())}, {"cpu", all["cpu"]}, {"numa_nodes", all["numa_nodes"]},
                      {"gpus", all["gpus"]}, {"nvidia_driver", inv.nvidia_driver},
                      {"driver_cuda_version", inv.driver_cuda_version},
                      {"cuda_runtime", inv.cuda_runtime ? inv.cuda_runtime->version : ""},
                      {"blas", inv.blas_kind}, {"mctsnas", MCTSNAS_VERSION}};
#ifdef MCTSNAS_HAVE_TORCH
  m["libtorch"] = TORCH_VERSION;
#endif
  m["cpu"].erase("isa");
  return m;
}

nlohmann::json recommendations_json(const std::vector<SettingResult>& results, double p99_target_ms) {
  std::set<std::pair<std::string, int>> measured;
  for (const auto& r : results)
    if (!r.points.empty()) measured.insert({r.setting.model, r.setting.gpu});
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [model, gpu] : measured) {
    const std::string device = gpu >= 0 ? "cuda:" + std::to_string(gpu) : "cpu";
    nlohmann::json rec = choice_json(best_throughput(results, model, gpu, p99_target_ms), p99_target_ms);
    if (const auto fast = lowest_latency(results, model, gpu); fast.point)
      rec["lowest_latency"] = {{"threads_per_instance", fast.setting->setting.threads},
                               {"p50_ms", fast.point->p50_ms}, {"p99_ms", fast.point->p99_ms}};
    out[model][device] = rec;
  }
  return out;
}

nlohmann::json serve_plan_json(const ServePlanContext& c, const std::vector<SettingResult>& results) {
  nlohmann::json settings = nlohmann::json::array();
  for (const auto& r : results) settings.push_back(to_json(r));
  return {{"format", "mctsnas-serve-plan-1"},
          {"model", {{"run", c.options.run_dir.string()}, {"variant", c.variant}, {"dir", c.model_dir.string()},
                     {"task", c.task}}},
          {"machine", machine_json(c.inventory)},
          {"sweep", {{"numa_node", c.numa_node}, {"batches", c.options.batches}, {"seconds", c.options.seconds},
                     {"p99_target_ms", c.options.p99_ms}, {"budget_seconds", c.options.budget_seconds},
                     {"elapsed_s", c.elapsed_s}}},
          {"recommended", recommendations_json(results, c.options.p99_ms)},
          {"settings", settings}};
}

std::string serving_yaml(const nlohmann::json& plan) {
  // Top-level keys in reading order (nlohmann sorts an object's keys).
  std::vector<std::pair<std::string, nlohmann::json>> y = {{"model", plan["model"]},
                                                           {"p99_target_ms", plan["sweep"]["p99_target_ms"]}};
  for (const auto& [model, key] : {std::pair{"winner", "serve"}, {"reference", "reference_transformer"}})
    if (plan["recommended"].contains(model)) y.emplace_back(key, plan["recommended"][model]);
  y.emplace_back("measured_on", plan["machine"]);
  YAML::Emitter e;
  e << YAML::BeginMap;
  for (const auto& [k, v] : y) {
    e << YAML::Key << k << YAML::Value;
    emit(e, v);
  }
  e << YAML::EndMap;
  return "# Written by `mctsnas serve-plan`: measured on the machine below, for the model above.\n"
         "# serve.<device>: the highest-throughput setting whose p99 latency meets the target\n"
         "# (meets_p99_target false: none did; this is the lowest-p99 one): one process per\n"
         "# instance, each pinned to its CPU set with that many intra-op threads\n"
         "# (torch.set_num_threads / OMP_NUM_THREADS). On a machine with several NUMA nodes or\n"
         "# GPUs, run the same on each. reference_transformer: the param-matched Transformer,\n"
         "# measured alike. Every setting's figures are in best/serving/serve_plan.json.\n" +
         std::string(e.c_str()) + "\n";
}

void print_recommendations(const nlohmann::json& plan, std::ostream& out) {
  for (const auto& [model, devices] : plan["recommended"].items())
    for (const auto& [device, r] : devices.items()) {
      char line[320];
      std::snprintf(line, sizeof line,
                    "%-9s %-6s %d thread(s) x %d instance(s), batch %lld: p50 %.2f ms, p99 %.2f ms, %.0f seq/s%s; "
                    "batch 1 alone: p50 %.2f ms at %d thread(s)\n",
                    model.c_str(), device.c_str(), r["threads_per_instance"].get<int>(),
                    r.value("instances_per_numa_node", r.value("instances_per_gpu", 0)),
                    r["batch_size"].get<long long>(), r["p50_ms"].get<double>(), r["p99_ms"].get<double>(),
                    r["throughput_per_s"].get<double>(), r["meets_p99_target"].get<bool>() ? "" : " (misses the p99 target)",
                    r.contains("lowest_latency") ? r["lowest_latency"]["p50_ms"].get<double>() : 0.0,
                    r.contains("lowest_latency") ? r["lowest_latency"]["threads_per_instance"].get<int>() : 0);
      out << line;
    }
}

}  // namespace mctsnas
