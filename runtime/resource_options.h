#pragma once
// The `resources:` section of the config.
#include <cstdint>
#include <string>

namespace mctsnas {

struct PerTrialOptions {
  int cpu_threads = 1;
  int64_t gpu_memory = 0;         // bytes; 0 = no cap
  int64_t host_memory = 0;        // bytes; 0 = no cap
  double wall_time = 0;           // seconds; 0 = no limit
};

struct ResourceOptions {
  std::string devices = "auto";   // auto | cpu | cuda | cuda:0,1
  std::string trials_per_gpu = "auto";  // auto | N
  std::string isolation = "auto"; // auto | process | inline (auto: inline for tables)
  std::string mps = "auto";       // auto | on | off: NVIDIA MPS for trials sharing a GPU (runtime/mps_daemon.h)
  PerTrialOptions per_trial;
};

}  // namespace mctsnas
