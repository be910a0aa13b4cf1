#pragma once
// One serving instance of `mctsnas serve-plan`'s closed-loop load generator. It runs
// in its own process (the parent forks it and pins it to its CPU set first): it loads
// the model, then for each batch size runs requests back to back — the next starts as
// soon as the last returns — for a fixed time, started by the parent so that every
// instance of a setting runs at once. Latencies include copying the request to the GPU
// and reading the answer back, as a server would.
#include <cstdint>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

namespace mctsnas::torchnas {

struct InstanceSpec {
  std::filesystem::path model_dir;   // an exported model (model.json + weights)
  bool reference = false;    // serve that model's param-matched reference Transformer instead
                             // (baseline_model.h), randomly initialized: its latency, not its quality
  int threads = 1;           // intra-op threads
  int gpu = -1;              // CUDA device (bf16 autocast); -1: CPU, fp32
  std::vector<int64_t> batches;
  double seconds = 1.0;      // per batch size
  int warmup = 3;            // untimed requests per batch size
};

// Samples a batch size keeps at most, so a reply stays one control message.
constexpr size_t kMaxLatencySamples = 50000;

// How an instance talks to the process that drives it (serve-plan's parent, over a
// socket; a test, directly). Both throw Error when the other side is gone.
class InstanceChannel {
 public:
  virtual ~InstanceChannel() = default;
  virtual void send(const nlohmann::json& message) = 0;
  virtual void wait_go() = 0;
};

// One JSON object per message:
//   -> {"loaded": {"first_load_ms", "second_load_ms", "to_device_ms", "params"}}   (both loads in
//      this process; to_device_ms: moving the model to the GPU, with CUDA's start in a new process)
//   per batch size b: -> {"ready": b}, then wait_go(),
//                     -> {"batch": b, "ms": [...], "elapsed_s", "gpu_peak_bytes", "rss_bytes"}
//   -> {"error": "..."} instead, on any failure.
// Returns the process's exit code.
int run_serve_instance(const InstanceSpec& spec, InstanceChannel& channel);

}  // namespace mctsnas::torchnas
