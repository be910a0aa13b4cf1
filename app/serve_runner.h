#pragma once
// Runs one serve-plan setting: one process per instance, forked from this one and
// pinned to its CPU set before LibTorch starts a thread, all loading the model, then
// measuring each batch size at the same moment (evaluator/torch/serve_instance.h).
// Processes, not threads: LibTorch's intra-op thread count is per process, and a
// production server runs its instances as processes too.
//
// This process must not have run a LibTorch operation or touched CUDA before: a forked
// child inherits neither OpenMP's threads nor a usable CUDA context.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "app/serve_sweep.h"

namespace mctsnas {

struct RunSettingOptions {
  std::filesystem::path model_dir;
  std::vector<int64_t> batches;
  double seconds = 1.0;            // measuring time per batch size
  double load_timeout_s = 120;     // an instance that has not loaded by then fails the setting
  double batch_timeout_s = 120;    // on top of `seconds`, per batch size
};

// Never throws for what goes wrong inside an instance: the result's error says it.
SettingResult run_setting(const ServeSetting& setting, const RunSettingOptions& options);

}  // namespace mctsnas
