#pragma once
// What `mctsnas serve-plan` writes: serve_plan.json (every setting's figures, the
// machine, the recommendations) and serving.yaml (the recommendations and the machine,
// for the people who deploy the model), and the summary it prints.
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/serve_plan_command.h"
#include "app/serve_sweep.h"
#include "runtime/inventory.h"

namespace mctsnas {

struct ServePlanContext {
  const ServePlanOptions& options;
  std::string variant;
  std::filesystem::path model_dir;
  std::string task;
  const Inventory& inventory;
  int numa_node = 0;
  double elapsed_s = 0;
};

// The machine as serving.yaml records it: CPU, NUMA layout, GPUs, driver, CUDA,
// LibTorch and BLAS, and when.
nlohmann::json machine_json(const Inventory& inv);

// For each model (winner, reference) and device measured: the highest-throughput
// setting within the p99 target (or the lowest-p99 one, flagged), and the lowest
// single-request latency.
nlohmann::json recommendations_json(const std::vector<SettingResult>& results, double p99_target_ms);

nlohmann::json serve_plan_json(const ServePlanContext& ctx, const std::vector<SettingResult>& results);

// serving.yaml's text from serve_plan.json's content.
std::string serving_yaml(const nlohmann::json& plan);

void print_recommendations(const nlohmann::json& plan, std::ostream& out);

}  // namespace mctsnas
