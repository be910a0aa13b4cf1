#pragma once
// `mctsnas serve-plan RUN_DIR`: measures how to serve the run's exported model on this
// machine — intra-op threads per instance, instances per NUMA node (CPU sets bound
// with hwloc's view of the node), batch sizes, and on a GPU instances per GPU — with a
// closed-loop load generator (app/serve_runner.h), for the chosen variant and for the
// param-matched reference Transformer, within a time budget. Writes
// RUN_DIR/best/serving/serve_plan.json (every setting's figures) and
// RUN_DIR/best/serving.yaml (the recommendation and the machine it was measured on).
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/serve_sweep.h"

namespace CLI {
class App;
}

namespace mctsnas {

struct ServePlanOptions {
  std::filesystem::path run_dir;
  std::string variant;             // empty: compress.json's recommended variant, else fp32
  std::vector<int64_t> batches = {1, 2, 4, 8, 16, 32, 64};
  double seconds = 1.0;            // measuring time per setting and batch size
  int max_threads = 0;             // 0: the NUMA node's cores
  int numa_node = -1;              // -1: the node with the most cores
  int gpu_instances = 8;           // most instances per GPU tried; 0: no GPU sweep
  bool reference = true;           // also the param-matched reference Transformer
  double p99_ms = 100;             // the latency target a recommendation meets
  double budget_seconds = 600;     // settings that would end past it are skipped
};

// Returns serve_plan.json's content (also written, with serving.yaml); Error on bad input.
nlohmann::json run_serve_plan(const ServePlanOptions& options, std::ostream& out);

void add_serve_plan_command(CLI::App& app, int& code);

}  // namespace mctsnas
