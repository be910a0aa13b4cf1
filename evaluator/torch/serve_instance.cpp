#include "evaluator/torch/serve_instance.h"

#include <chrono>
#include <exception>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/stopwatch.h"
#include "evaluator/torch/baseline_model.h"
#include "evaluator/torch/compat.h"
#include "evaluator/torch/export_use.h"
#include "evaluator/torch/serve_request.h"
#include "evaluator/torch/torch_evaluator.h"

namespace mctsnas::torchnas {
namespace {

// The model to serve: the export itself (loaded twice, both timed: the first load in
// a process pays LibTorch's first-use costs), or its reference Transformer.
LoadedModel load(const InstanceSpec& s, const torch::Device& dev, InstanceChannel& ch) {
  auto t0 = SteadyClock::now();
  LoadedModel m = load_exported_model(s.model_dir);
  const double first = ms_since(t0);
  t0 = SteadyClock::now();
  m = load_exported_model(s.model_dir);
  const double second = ms_since(t0);
  if (s.reference) {
    torch::manual_seed(0);
    m.model = build_model(param_matched_baseline(m.info.spec.arch, m.info.shape).spec, m.info.shape);
    m.model->eval();
  }
  t0 = SteadyClock::now();
  m.model->to(dev);
  const double to_device = dev.is_cuda() ? ms_since(t0) : 0;
  ch.send({{"loaded", {{"first_load_ms", first}, {"second_load_ms", second}, {"to_device_ms", to_device},
                        {"params", m.model->num_parameters()}}}});
  return m;
}

// One batch size: warm-up, wait for the parent's go, then requests back to back.
nlohmann::json run_batch(LoadedModel& m, const InstanceSpec& s, int64_t batch, const torch::Device& dev,
                         InstanceChannel& ch) {
  const ServeRequest host = make_serve_request(m.info, batch);
  // Reading the answer back to the host waits for the GPU, as a server must.
  auto once = [&] { (void)serve(m.model, host.to(dev)).to(torch::kCPU); };
  for (int i = 0; i < s.warmup; ++i) once();
  if (s.gpu >= 0) torchc::cuda_reset_peak_memory(s.gpu);
  ch.send({{"ready", batch}});
  ch.wait_go();
  std::vector<double> ms;
  const auto start = SteadyClock::now();
  while (ms.size() < kMaxLatencySamples && ms_since(start) < s.seconds * 1000) {
    const auto t0 = SteadyClock::now();
    once();
    ms.push_back(ms_since(t0));
  }
  return {{"batch", batch},
          {"ms", ms},
          {"elapsed_s", ms_since(start) / 1000},
          {"gpu_peak_bytes", s.gpu >= 0 ? torchc::cuda_peak_allocated(s.gpu) : 0},
          {"rss_bytes", host_peak_rss_bytes()}};
}

}  // namespace

int run_serve_instance(const InstanceSpec& s, InstanceChannel& ch) {
  try {
    torch::set_num_threads(s.threads);
    torch::NoGradGuard no_grad;
    const torch::Device dev = s.gpu >= 0 ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(s.gpu))
                                         : torch::Device(torch::kCPU);
    LoadedModel m = load(s, dev, ch);
    torchc::AutocastGuard autocast(s.gpu >= 0);
    for (int64_t b : s.batches) ch.send(run_batch(m, s, b, dev, ch));
    return 0;
  } catch (const std::exception& e) {
    try {
      ch.send({{"error", e.what()}});
    } catch (const std::exception&) {
      // The parent is gone: nobody is left to tell.
    }
    return 1;
  }
}

}  // namespace mctsnas::torchnas
