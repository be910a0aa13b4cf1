#include "runtime/budgeter.h"

#include <algorithm>
#include <climits>

#include "common/error.h"

namespace mctsnas {

std::vector<int> parse_devices(const std::string& devices, const Inventory& inv) {
  std::vector<int> all;
  for (const auto& g : inv.gpus) all.push_back(g.index);
  if (devices == "auto") return all;
  if (devices == "cpu") return {};
  if (devices == "cuda") {
    if (all.empty())
      throw Error("resources.devices: 'cuda' but no GPU is visible" +
                  (inv.gpu_probe_error.empty() ? std::string() : " (" + inv.gpu_probe_error + ")") +
                  "; run `mctsnas doctor`, or set resources.devices: cpu");
    return all;
  }
  if (devices.rfind("cuda:", 0) == 0) {
    std::vector<int> out;
    std::string rest = devices.substr(5);
    size_t pos = 0;
    while (pos <= rest.size()) {
      size_t comma = rest.find(',', pos);
      std::string item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos)
        throw Error("resources.devices: '" + devices + "' is malformed (expected auto, cpu, cuda or cuda:0,1)");
      int idx = std::stoi(item);
      if (std::find(all.begin(), all.end(), idx) == all.end())
        throw Error("resources.devices: GPU " + item + " does not exist (" + std::to_string(all.size()) +
                    " visible); run `mctsnas doctor`");
      out.push_back(idx);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    return out;
  }
  throw Error("resources.devices: '" + devices + "' is not one of auto, cpu, cuda, cuda:N[,M...]");
}

Budgeter::Budgeter(const Inventory& inventory, BudgeterOptions options)
    : inv_(inventory), opt_(std::move(options)) {
  if (inv_.cpu_order.empty()) inv_.cpu_order = inv_.allowed_cpus;
  cpu_busy_.assign(inv_.cpu_order.size(), false);
  const std::string& tpg = opt_.resources.trials_per_gpu;
  if (tpg != "auto" && (tpg.empty() || tpg.find_first_not_of("0123456789") != std::string::npos ||
                        std::stoi(tpg) < 1))
    throw Error("resources.trials_per_gpu: '" + tpg + "' (expected auto or a positive integer)");
  for (int idx : parse_devices(opt_.resources.devices, inv_)) {
    for (const auto& g : inv_.gpus)
      if (g.index == idx) {
        GpuState s;
        s.index = idx;
        s.numa_node = g.numa_node;
        int64_t free_bytes = g.memory_total_bytes - g.memory_used_bytes;
        s.usable_bytes = static_cast<int64_t>(static_cast<double>(free_bytes) * opt_.gpu_usable_fraction);
        gpus_.push_back(s);
      }
  }
  if (opt_.max_parallel < 1) opt_.max_parallel = 1;
}

int Budgeter::cpu_limit() const {
  int threads = std::max(1, opt_.resources.per_trial.cpu_threads);
  return std::max(1, static_cast<int>(inv_.cpu_order.size()) / threads);
}

int Budgeter::memory_limit() const {
  int64_t cap = opt_.resources.per_trial.host_memory;
  if (cap <= 0) return INT_MAX;
  int64_t avail = inv_.host_available_bytes;
  if (inv_.container_limit_bytes > 0) avail = std::min(avail, inv_.container_limit_bytes);
  if (avail <= 0) return INT_MAX;
  return std::max<int64_t>(1, avail / cap) > INT_MAX ? INT_MAX : static_cast<int>(std::max<int64_t>(1, avail / cap));
}

int Budgeter::per_gpu_limit(const GpuState& g) const {
  const auto& r = opt_.resources;
  if (r.trials_per_gpu != "auto") return std::stoi(r.trials_per_gpu);
  int64_t footprint = 0;
  if (r.per_trial.gpu_memory > 0)
    footprint = r.per_trial.gpu_memory + opt_.cuda_context_bytes;
  else if (measured_gpu_peak_ > 0)
    footprint = static_cast<int64_t>(static_cast<double>(measured_gpu_peak_) * opt_.gpu_memory_margin) +
                opt_.cuda_context_bytes;
  else
    // Probe: caps are enforced, so trials need not learn their size alone; each
    // starts with a share of at least probe_min_cap_bytes.
    footprint = opt_.probe_min_cap_bytes + opt_.cuda_context_bytes;
  int64_t n = footprint > 0 ? g.usable_bytes / footprint : 1;
  return static_cast<int>(std::clamp<int64_t>(n, 1, opt_.max_trials_per_gpu));
}

int Budgeter::trials_per_gpu(int pos) const { return per_gpu_limit(gpus_.at(static_cast<size_t>(pos))); }

int64_t Budgeter::gpu_cap(const GpuState& g) const {
  if (opt_.resources.per_trial.gpu_memory > 0) return opt_.resources.per_trial.gpu_memory;
  // The GPU split among the trials that can run on it at once: when CPUs or
  // search.parallel allow fewer than memory would, each gets a larger share.
  int n = per_gpu_limit(g);
  if (opt_.resources.trials_per_gpu == "auto") {
    const int gpus = static_cast<int>(gpus_.size());
    n = std::min(n, (non_gpu_limit() + gpus - 1) / gpus);
  }
  return std::max<int64_t>(0, g.usable_bytes / std::max(1, n) - opt_.cuda_context_bytes);
}

bool Budgeter::fits(const GpuState& g) const {
  // An explicit trials_per_gpu with an explicit per_trial.gpu_memory is the user's
  // own packing; auto packing never promises more than the GPU's usable memory.
  // A GPU with nothing on it always takes one trial, even one whose cap exceeds it.
  if (opt_.resources.trials_per_gpu != "auto" || g.busy == 0) return true;
  return g.committed_bytes + gpu_cap(g) + opt_.cuda_context_bytes <= g.usable_bytes;
}

int Budgeter::non_gpu_limit() const { return std::min({opt_.max_parallel, cpu_limit(), memory_limit()}); }

bool Budgeter::may_share_gpu() const {
  if (gpus_.empty() || non_gpu_limit() <= static_cast<int>(gpus_.size())) return false;
  const auto& r = opt_.resources;
  if (r.trials_per_gpu != "auto") return std::stoi(r.trials_per_gpu) > 1;
  if (r.per_trial.gpu_memory <= 0) return true;   // grows with the measured trial size
  for (const auto& g : gpus_)
    if (per_gpu_limit(g) > 1) return true;
  return false;
}

int Budgeter::capacity() const {
  int cap = non_gpu_limit();
  if (!gpus_.empty()) {
    int gpu_slots = 0;
    for (const auto& g : gpus_) gpu_slots += per_gpu_limit(g);
    cap = std::min(cap, gpu_slots);
  }
  return std::max(1, cap);
}

std::vector<int> Budgeter::take_cpus(int numa_node) {
  int want = std::max(1, opt_.resources.per_trial.cpu_threads);
  std::vector<int> node_cpus;
  for (const auto& n : inv_.numa_nodes)
    if (n.os_index == numa_node) node_cpus = n.cpus;
  auto on_node = [&](int cpu) {
    return std::find(node_cpus.begin(), node_cpus.end(), cpu) != node_cpus.end();
  };
  std::vector<int> got;
  // Free CPUs on the GPU's node first, then any free CPU.
  for (int pass = 0; pass < 2 && static_cast<int>(got.size()) < want; ++pass)
    for (size_t i = 0; i < inv_.cpu_order.size() && static_cast<int>(got.size()) < want; ++i)
      if (!cpu_busy_[i] && (pass == 1 || on_node(inv_.cpu_order[i]))) {
        cpu_busy_[i] = true;
        got.push_back(inv_.cpu_order[i]);
      }
  std::sort(got.begin(), got.end());
  return got;
}

std::optional<Slot> Budgeter::acquire() {
  if (busy() >= capacity()) return std::nullopt;
  const auto& pt = opt_.resources.per_trial;
  Slot s;
  s.id = next_id_++;
  s.budget.cpu_threads = std::max(1, pt.cpu_threads);
  s.budget.host_mem_bytes = pt.host_memory;
  s.budget.wall_seconds = pt.wall_time;
  s.device = "cpu";
  int numa = -1;
  if (!gpus_.empty()) {
    // The GPU with the most room left relative to its limit, whose memory not yet
    // promised to busy trials holds one more cap and context.
    GpuState* best = nullptr;
    for (auto& g : gpus_)
      if (g.busy < per_gpu_limit(g) && fits(g) &&
          (!best || per_gpu_limit(g) - g.busy > per_gpu_limit(*best) - best->busy))
        best = &g;
    if (!best) return std::nullopt;
    best->busy++;
    s.budget.gpu = best->index;
    s.budget.gpu_mem_bytes = gpu_cap(*best);
    best->committed_bytes += s.budget.gpu_mem_bytes + opt_.cuda_context_bytes;
    s.device = "cuda:" + std::to_string(best->index);
    numa = best->numa_node;
  }
  s.budget.cpu_set = take_cpus(numa);
  busy_.push_back(s);
  return s;
}

void Budgeter::release(const Slot& slot, const TrialResult* result) {
  auto it = std::find_if(busy_.begin(), busy_.end(), [&](const Slot& b) { return b.id == slot.id; });
  MCTSNAS_CHECK(it != busy_.end(), "Budgeter::release: slot not handed out");
  for (int c : it->budget.cpu_set)
    for (size_t i = 0; i < inv_.cpu_order.size(); ++i)
      if (inv_.cpu_order[i] == c) cpu_busy_[i] = false;
  if (it->budget.gpu)
    for (auto& g : gpus_)
      if (g.index == *it->budget.gpu) {
        g.busy--;
        g.committed_bytes -= it->budget.gpu_mem_bytes + opt_.cuda_context_bytes;
      }
  busy_.erase(it);
  if (result) {
    auto m = result->metrics.find("gpu_peak_allocated_bytes");
    if (m != result->metrics.end() && m->second > 0)
      measured_gpu_peak_ = std::max(measured_gpu_peak_, static_cast<int64_t>(m->second));
  }
}

std::vector<std::string> Budgeter::describe() const {
  std::vector<std::string> out;
  int threads = std::max(1, opt_.resources.per_trial.cpu_threads);
  out.push_back("CPUs: " + std::to_string(inv_.cpu_order.size()) + " / " + std::to_string(threads) +
                " threads per trial -> at most " + std::to_string(cpu_limit()) + " at once");
  if (memory_limit() != INT_MAX)
    out.push_back("host memory: at most " + std::to_string(memory_limit()) + " trials at their cap");
  for (const auto& g : gpus_)
    out.push_back("cuda:" + std::to_string(g.index) + ": " + std::to_string(per_gpu_limit(g)) +
                  " trials" + (opt_.resources.trials_per_gpu == "auto" && opt_.resources.per_trial.gpu_memory == 0 &&
                                       measured_gpu_peak_ == 0
                                   ? " (until a trial's memory is measured)"
                                   : "") +
                  ", " + std::to_string(gpu_cap(g) >> 20) + " MiB each");
  out.push_back("capacity: " + std::to_string(capacity()) + " trials at once (search.parallel " +
                std::to_string(opt_.max_parallel) + ")");
  return out;
}

}  // namespace mctsnas
