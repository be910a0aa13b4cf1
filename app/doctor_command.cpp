#include "app/doctor_command.h"

#include <cstdio>
#include <iostream>

#include "app/commands.h"
#include "app/config_loader.h"
#include "runtime/budgeter.h"
#include "runtime/inventory.h"
#include "runtime/mps_daemon.h"

namespace mctsnas {

namespace {

std::string gib(int64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(b) / (1024.0 * 1024 * 1024));
  return buf;
}

void print_text(const Inventory& inv, const std::vector<std::string>& plan,
                const std::vector<DoctorWarning>& warnings, std::ostream& out) {
  out << "CPU:      " << (inv.cpu_model.empty() ? "unknown" : inv.cpu_model) << "\n"
      << "          " << inv.cores << " cores, " << inv.pus << " logical CPUs usable ("
      << format_cpu_list(inv.allowed_cpus) << ")";
  if (!inv.isa.empty()) {
    out << "; ISA:";
    for (const auto& x : inv.isa) out << " " << x;
  }
  out << "\n";
  for (const auto& n : inv.numa_nodes)
    out << "NUMA " << n.os_index << ":   CPUs " << format_cpu_list(n.cpus)
        << (n.memory_bytes > 0 ? ", " + gib(n.memory_bytes) : std::string()) << "\n";
  out << "Memory:   " << gib(inv.host_memory_bytes) << " total, " << gib(inv.host_available_bytes)
      << " available";
  if (inv.container_limit_bytes > 0) out << ", container limit " << gib(inv.container_limit_bytes);
  out << "\n          per-trial host-memory caps: "
      << (inv.cgroup_v2_writable ? "cgroup v2 memory.max"
                                 : "address-space limit (CPU trials) + resident-memory watchdog (cgroup " +
                                       inv.cgroup_version + " not writable)")
      << "\n";
  if (inv.gpus.empty()) {
    out << "GPUs:     none" << (inv.gpu_probe_error.empty() ? "" : " (" + inv.gpu_probe_error + ")") << "\n";
  } else {
    out << "GPUs:     NVIDIA driver " << inv.nvidia_driver << ", supports CUDA " << inv.driver_cuda_version << "\n";
    for (const auto& g : inv.gpus)
      out << "  cuda:" << g.index << "  " << g.name << ", " << gib(g.memory_total_bytes) << " ("
          << gib(g.memory_used_bytes) << " in use), PCI " << g.pci_bus_id
          << (g.numa_node >= 0 ? ", NUMA " + std::to_string(g.numa_node) : std::string()) << "\n";
  }
  out << "MPS:      "
      << (inv.mps_control.empty()
              ? std::string("nvidia-cuda-mps-control not found: trials sharing a GPU are time-sliced")
              : inv.mps_control + " (resources.mps: auto starts a private daemon when trials share a GPU)");
  if (!inv.mps_user_pipe_dir.empty())
    out << "\n          CUDA_MPS_PIPE_DIRECTORY=" << inv.mps_user_pipe_dir << " is set: runs use your MPS daemon";
  out << "\n";
  out << "LibTorch: "
      << (inv.libtorch ? inv.libtorch->version + " (" + inv.libtorch->path + ")" : std::string("not in this build"))
      << "\n";
  if (inv.cuda_runtime)
    out << "CUDA rt:  " << inv.cuda_runtime->version << " (" << inv.cuda_runtime->path << ")\n";
  out << "BLAS:     " << inv.blas_kind;
  for (const auto& b : inv.blas) out << " " << b.path;
  if (inv.blas_kind == "built-in") out << " (linked into LibTorch; PyTorch wheels use MKL)";
  out << "\n";
  if (!plan.empty()) {
    out << "Trials:\n";
    for (const auto& p : plan) out << "  " << p << "\n";
  }
  if (warnings.empty()) {
    out << "No problems found.\n";
  } else {
    for (const auto& w : warnings) out << "warning: " << w.what << "\n  fix: " << w.fix << "\n";
  }
}

}  // namespace

void add_doctor_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("doctor", "Show the CPUs, memory, GPUs and libraries trials will use, and what to fix");
  auto config = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("CONFIG", *config, "A config: also check how its trials fit this machine");
  cmd->add_flag("--json", *json, "Print JSON instead of text");
  cmd->callback([&code, config, json] {
    code = guarded("doctor", [&] {
      Inventory inv = probe_inventory();
      int parallel = 1, threads = 1;
      int64_t host_mem = 0;
      bool wants_gpu = false;
      std::vector<std::string> plan;
      std::vector<DoctorWarning> warnings;
      if (!config->empty()) {
        RunOptions o = load_config(*config);
        parallel = o.search.parallel;
        threads = o.resources.per_trial.cpu_threads;
        host_mem = o.resources.per_trial.host_memory;
        wants_gpu = o.resources.devices != "cpu" && o.resources.devices != "auto";
        BudgeterOptions bo;
        bo.resources = o.resources;
        bo.max_parallel = parallel;
        try {
          Budgeter b(inv, bo);
          plan = b.describe();
          MpsInputs mi;
          mi.mode = o.resources.mps;
          mi.gpus = b.uses_gpus() && o.resources.isolation != Isolation::in_process;
          mi.shares_gpu = b.may_share_gpu();
          mi.control_binary = inv.mps_control;
          mi.user_pipe_dir = inv.mps_user_pipe_dir;
          MpsDecision d = decide_mps(mi);
          plan.push_back(d.start ? "MPS: on (a private control daemon for the run)" : "MPS: off (" + d.reason + ")");
        } catch (const Error& e) {
          warnings.push_back({e.what(), "change resources in " + *config});
        }
      }
      auto more = doctor_warnings(inv, parallel, threads, host_mem, wants_gpu);
      warnings.insert(warnings.end(), more.begin(), more.end());
      if (*json) {
        nlohmann::json j = to_json(inv);
        j["trials"] = plan;
        nlohmann::json w = nlohmann::json::array();
        for (const auto& x : warnings) w.push_back({{"what", x.what}, {"fix", x.fix}});
        j["warnings"] = w;
        std::cout << j.dump(2) << "\n";
      } else {
        print_text(inv, plan, warnings, std::cout);
      }
      return 0;
    });
  });
}

}  // namespace mctsnas
