#pragma once
// The `resources:` section of the config.
#include <cstdint>
#include <span>
#include <string>

#include "common/option_schema.h"

namespace mctsnas {

// Where trials run: in worker processes, or in the search's own process
// (automatic: in-process for tables, worker processes otherwise).
enum class Isolation { automatic, process, in_process };
inline constexpr EnumName<Isolation> kIsolationNames[] = {
    {"auto", Isolation::automatic}, {"process", Isolation::process}, {"inline", Isolation::in_process}};
constexpr std::span<const EnumName<Isolation>> enum_names(Isolation) { return kIsolationNames; }

// NVIDIA MPS for trials sharing a GPU (runtime/mps_daemon.h).
enum class MpsMode { automatic, on, off };
inline constexpr EnumName<MpsMode> kMpsModeNames[] = {
    {"auto", MpsMode::automatic}, {"on", MpsMode::on}, {"off", MpsMode::off}};
constexpr std::span<const EnumName<MpsMode>> enum_names(MpsMode) { return kMpsModeNames; }

struct PerTrialOptions {
  int cpu_threads = 1;
  int64_t gpu_memory = 0;         // bytes; 0 = no cap
  int64_t host_memory = 0;        // bytes; 0 = no cap
  double wall_time = 0;           // seconds; 0 = no limit
};

struct ResourceOptions {
  std::string devices = "auto";   // auto | cpu | cuda | cuda:0,1
  std::string trials_per_gpu = "auto";  // auto | N
  Isolation isolation = Isolation::automatic;
  MpsMode mps = MpsMode::automatic;
  PerTrialOptions per_trial;
  // Under mpirun: seconds a worker rank holding trials may send nothing (no result,
  // no heartbeat) before rank 0 logs it as stuck or overloaded.
  double heartbeat_timeout = 60;
};

// The config keys of each struct (common/option_schema.h; app/ reads and writes them).
template <class V> void bind_fields(V& v, PerTrialOptions& o) {
  using namespace config;
  v.field("cpu_threads", o.cpu_threads, min(1).max(4096));
  v.field("gpu_memory", o.gpu_memory, bytes());    // 0 = no cap
  v.field("host_memory", o.host_memory, bytes());  // 0 = no cap
  v.field("wall_time", o.wall_time, duration());   // 0 = no limit
}
template <class V> void bind_fields(V& v, ResourceOptions& o) {
  using namespace config;
  v.field("devices", o.devices, devices());
  v.field("trials_per_gpu", o.trials_per_gpu, count_or_auto());
  v.field("isolation", o.isolation);
  v.field("mps", o.mps);
  v.field("per_trial", o.per_trial);
  v.field("heartbeat_timeout", o.heartbeat_timeout, duration());
}

}  // namespace mctsnas
