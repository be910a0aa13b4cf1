#include "app/serve_plan_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/export_command.h"
#include "app/serve_plan_output.h"
#include "app/serve_runner.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "runtime/inventory.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "evaluator/torch/export_use.h"
#endif

namespace mctsnas {
namespace fs = std::filesystem;
namespace {

void check_options(const ServePlanOptions& o) {
  if (o.batches.empty()) throw Error("--batches: name at least one batch size");
  for (int64_t b : o.batches)
    if (b < 1 || b > 4096) throw Error("--batches: each batch size must be in [1, 4096], got " + std::to_string(b));
  if (!(o.seconds > 0 && o.seconds <= 600)) throw Error("--seconds must be in (0, 600], got " + std::to_string(o.seconds));
  if (!(o.p99_ms > 0)) throw Error("--p99-ms must be > 0 (milliseconds), got " + std::to_string(o.p99_ms));
  if (!(o.budget_seconds > 0)) throw Error("--budget-seconds must be > 0, got " + std::to_string(o.budget_seconds));
  if (o.max_threads < 0) throw Error("--max-threads must be >= 0 (0: the NUMA node's cores)");
  if (o.gpu_instances < 0) throw Error("--gpu-instances must be >= 0 (0: no GPU sweep)");
}

// The variant to serve: the one asked for, else compress's recommendation, else fp32.
std::string chosen_variant(const ServePlanOptions& o) {
  if (!o.variant.empty()) return o.variant;
  const auto j = nlohmann::json::parse(read_file_or_empty(o.run_dir / "best" / "compressed" / "compress.json"),
                                       nullptr, false);
  if (j.is_object() && j.contains("recommended") && j["recommended"].is_string() && !j["recommended"].empty())
    return j["recommended"];
  return "fp32";
}

// The usable CPUs of one NUMA node (one PU per core first) and its physical core count.
struct NodeCpus {
  int node = 0;
  std::vector<int> cpus;
  int cores = 0;
};

NodeCpus node_cpus(const Inventory& inv, int want) {
  const std::vector<int> first_pus(inv.cpu_order.begin(),
                                   inv.cpu_order.begin() + std::min<size_t>(inv.cpu_order.size(), inv.cores));
  auto in = [](const std::vector<int>& v, int c) { return std::find(v.begin(), v.end(), c) != v.end(); };
  NodeCpus best;
  if (inv.numa_nodes.empty()) return {0, inv.cpu_order, inv.cores};
  for (const auto& n : inv.numa_nodes) {
    if (want >= 0 && n.os_index != want) continue;
    NodeCpus c{n.os_index, {}, 0};
    for (int cpu : inv.cpu_order)
      if (in(n.cpus, cpu)) {
        c.cpus.push_back(cpu);
        c.cores += in(first_pus, cpu) ? 1 : 0;
      }
    if (c.cores > best.cores) best = c;
  }
  if (best.cores == 0)
    throw Error(want >= 0 ? "--numa-node " + std::to_string(want) + ": no usable CPU on that node"
                          : std::string("serve-plan: no usable CPU found"));
  return best;
}

// The model's task, from model.json alone (checked here, before any instance starts).
// Only JSON: this process forks the instances, so it must not start LibTorch's threads.
std::string model_task(const fs::path& model_dir) {
#ifdef MCTSNAS_HAVE_TORCH
  return torchnas::read_exported_model_info(model_dir).task;
#else
  (void)model_dir;
  throw Error("serve-plan runs LibTorch models, and this mctsnas was built without it (rebuild with -DMCTSNAS_WITH_TORCH=ON)");
#endif
}

bool gpu_build() {
#if defined(MCTSNAS_TORCH_CUDA) && MCTSNAS_TORCH_CUDA
  return true;
#else
  return false;
#endif
}

// Winner and reference alternate, so that a budget cut leaves both measured alike.
std::vector<ServeSetting> plan(const ServePlanOptions& o, const Inventory& inv, const NodeCpus& node) {
  auto settings = cpu_settings(node.cpus, node.cores, o.max_threads);
  if (gpu_build() && !inv.gpus.empty() && o.gpu_instances > 0) {
    const int g = inv.gpus.front().index;
    const NodeCpus gnode = node_cpus(inv, inv.gpus.front().numa_node >= 0 && inv.numa_nodes.size() > 1
                                              ? inv.gpus.front().numa_node : node.node);
    for (auto& s : gpu_settings(g, gnode.cpus, gnode.cores, o.gpu_instances)) settings.push_back(s);
  }
  std::vector<ServeSetting> out;
  for (const auto& s : settings) {
    out.push_back(s);
    if (o.reference) {
      out.push_back(s);
      out.back().model = "reference";
    }
  }
  return out;
}

std::string describe(const ServeSetting& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%-9s %-6s %2d thread%s x %2d instance%s", s.model.c_str(),
                s.gpu >= 0 ? ("cuda:" + std::to_string(s.gpu)).c_str() : "cpu", s.threads, s.threads == 1 ? " " : "s",
                s.instances, s.instances == 1 ? " " : "s");
  return buf;
}

void print_progress(std::ostream& out, size_t done, size_t total, const SettingResult& r, double elapsed, double left) {
  const int width = 20, filled = static_cast<int>(width * done / std::max<size_t>(1, total));
  std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
  std::string what = r.skipped ? "skipped (budget)" : !r.error.empty() ? "failed: " + r.error : "";
  if (what.empty()) {
    const auto best = std::max_element(r.points.begin(), r.points.end(),
                                       [](const auto& a, const auto& b) { return a.throughput < b.throughput; });
    char buf[128];
    std::snprintf(buf, sizeof buf, "b%lld p50 %.2f ms; best %.0f seq/s at b%lld", static_cast<long long>(r.points[0].batch),
                  r.points[0].p50_ms, best->throughput, static_cast<long long>(best->batch));
    what = buf;
  }
  char tail[64];
  std::snprintf(tail, sizeof tail, "  (%.0f s, ~%.0f s left)", elapsed, left);
  out << bar << " " << done << "/" << total << "  " << describe(r.setting) << ": " << what << tail << std::endl;
}

// Nothing to recommend from: say why (the budget, or the first failure).
void check_measured(const std::vector<SettingResult>& results) {
  size_t skipped = 0;
  const SettingResult* failed = nullptr;
  for (const auto& r : results) {
    if (!r.points.empty()) return;
    skipped += r.skipped ? 1 : 0;
    if (!r.error.empty() && !failed) failed = &r;
  }
  throw Error("serve-plan: no setting was measured (" + std::to_string(skipped) + " skipped by --budget-seconds" +
              (failed ? "; " + describe(failed->setting) + " failed: " + failed->error : std::string()) + ")");
}

}  // namespace

nlohmann::json run_serve_plan(const ServePlanOptions& o, std::ostream& out) {
  check_options(o);
  const std::string variant = chosen_variant(o);
  const fs::path model_dir = exported_model_dir(o.run_dir, variant);
  const std::string task = model_task(model_dir);
  const Inventory inv = probe_inventory();
  const NodeCpus node = node_cpus(inv, o.numa_node);
  const auto settings = plan(o, inv, node);
  out << "serve-plan: " << model_dir.string() << " (" << variant << "), " << settings.size() << " settings x "
      << o.batches.size() << " batch sizes on NUMA node " << node.node << " (" << node.cores << " cores)"
      << ", budget " << o.budget_seconds << " s" << std::endl;
  const RunSettingOptions ro{model_dir, o.batches, o.seconds};
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  double per_setting = static_cast<double>(o.batches.size()) * (o.seconds + 0.5) + 2;   // until one is measured
  std::vector<SettingResult> results;
  for (size_t i = 0; i < settings.size(); ++i) {
    if (elapsed() + per_setting > o.budget_seconds) {
      results.emplace_back();
      results.back().setting = settings[i];
      results.back().skipped = true;
    } else {
      const double start = elapsed();
      results.push_back(run_setting(settings[i], ro));
      per_setting = std::max(per_setting * 0.5 + (elapsed() - start) * 0.5, elapsed() - start);
    }
    const double left = static_cast<double>(settings.size() - i - 1) * per_setting;
    print_progress(out, i + 1, settings.size(), results.back(), elapsed(), std::min(left, o.budget_seconds - elapsed()));
  }
  check_measured(results);
  ServePlanContext ctx{o, variant, model_dir, task, inv, node.node, elapsed()};
  const nlohmann::json plan_json = serve_plan_json(ctx, results);
  const fs::path best = o.run_dir / "best";
  std::error_code ec;
  fs::create_directories(best / "serving", ec);
  if (ec) throw Error("cannot create " + (best / "serving").string() + ": " + ec.message());
  write_file_atomically(best / "serving" / "serve_plan.json", plan_json.dump(2) + "\n");
  write_file_atomically(best / "serving.yaml", serving_yaml(plan_json));
  print_recommendations(plan_json, out);
  out << "wrote " << (best / "serving.yaml").string() << " and " << (best / "serving" / "serve_plan.json").string()
      << "\n";
  return plan_json;
}

void add_serve_plan_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("serve-plan", "Measure how to serve a run's exported model on this machine: threads, "
                                               "instances, batch size, GPU memory; writes best/serving.yaml");
  auto o = std::make_shared<ServePlanOptions>();
  auto dir = std::make_shared<std::string>();
  cmd->add_option("RUN_DIR", *dir, "Run directory exported with `mctsnas export`")->required();
  cmd->add_option("--variant", o->variant,
                  "Model variant to serve: fp32, or one `mctsnas compress` made (default: its recommendation, else fp32)");
  cmd->add_option("--batches", o->batches, "Batch sizes to measure")->delimiter(',')->default_str("1,2,4,8,16,32,64");
  cmd->add_option("--seconds", o->seconds, "Measuring time per setting and batch size")->default_val(1.0);
  cmd->add_option("--max-threads", o->max_threads, "Most intra-op threads per instance (0: the NUMA node's cores)")
      ->default_val(0);
  cmd->add_option("--numa-node", o->numa_node, "NUMA node to measure on (default: the one with the most cores)");
  cmd->add_option("--gpu-instances", o->gpu_instances, "Most instances per GPU tried (0: no GPU sweep)")->default_val(8);
  cmd->add_flag("!--no-reference", o->reference, "Skip the param-matched reference Transformer");
  cmd->add_option("--p99-ms", o->p99_ms, "Latency target (p99 per request) the recommendation meets")->default_val(100);
  cmd->add_option("--budget-seconds", o->budget_seconds, "Time for the whole sweep; later settings are skipped")
      ->default_val(600);
  cmd->callback([=, &code] {
    code = guarded("serve-plan", [&] {
      o->run_dir = *dir;
      run_serve_plan(*o, std::cout);
      return 0;
    });
  });
}

}  // namespace mctsnas
