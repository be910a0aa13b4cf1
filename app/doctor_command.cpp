#include "app/doctor_command.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "app/commands.h"
#include "app/config_loader.h"
#include "app/preflight.h"
#include "runtime/budgeter.h"
#include "runtime/inventory.h"
#include "runtime/mps_daemon.h"
#ifdef MCTSNAS_HAVE_MPI
#include "runtime/mpi_messages.h"
#endif

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

std::optional<DoctorWarning> busy_machine_warning(double load_1min, int cpus) {
  if (cpus <= 0 || load_1min <= cpus) return std::nullopt;
  char what[200];
  std::snprintf(what, sizeof what,
                "the machine is busy: load average %.1f (last minute) on %d usable CPUs; other processes compete "
                "with trials for CPU time, so trials train slower and times (latency, wall time, ETA) read high",
                load_1min, cpus);
  return DoctorWarning{what, "wait for the other work to finish, or leave it room: lower search.parallel or "
                             "resources.per_trial.cpu_threads"};
}

namespace {

// What doctor learns from a config: the trial plan and what would stop or slow the run.
struct ConfigCheck {
  int parallel = 1, threads = 1;
  int64_t host_mem = 0;
  bool wants_gpu = false;
  std::vector<std::string> plan;
  std::vector<DoctorWarning> warnings;
};

ConfigCheck check_config(const std::string& file, const Inventory& inv) {
  ConfigCheck c;
  RunOptions o = load_config(file);
  c.parallel = o.search.parallel;
  c.threads = o.resources.per_trial.cpu_threads;
  c.host_mem = o.resources.per_trial.host_memory;
  c.wants_gpu = o.resources.devices != "cpu" && o.resources.devices != "auto";
  try {
    check_run_inputs(o);
  } catch (const Error& e) {
    c.warnings.push_back({e.what(), "`mctsnas validate " + file + "` checks the same; for the full datasets run "
                                    "scripts/fetch-data.sh"});
  }
  try {
    Budgeter b(inv, budgeter_options(o));
    c.plan = b.describe();
    MpsInputs mi;
    mi.mode = o.resources.mps;
    mi.gpus = b.uses_gpus() && o.resources.isolation != Isolation::in_process;
    mi.shares_gpu = b.may_share_gpu();
    mi.control_binary = inv.mps_control;
    mi.user_pipe_dir = inv.mps_user_pipe_dir;
    MpsDecision d = decide_mps(mi);
    c.plan.push_back(d.start ? "MPS: on (a private control daemon for the run)" : "MPS: off (" + d.reason + ")");
  } catch (const Error& e) {
    c.warnings.push_back({e.what(), "change resources in " + file});
  }
  return c;
}

// The whole report of this host, as text or as JSON.
std::string doctor_report(const std::string& config, bool json) {
  const Inventory inv = probe_inventory();
  ConfigCheck c = config.empty() ? ConfigCheck{} : check_config(config, inv);
  double load[3] = {0, 0, 0};
  const bool have_load = getloadavg(load, 3) == 3;
  if (have_load)
    if (auto busy = busy_machine_warning(load[0], inv.pus)) c.warnings.insert(c.warnings.begin(), *busy);
  auto more = doctor_warnings(inv, c.parallel, c.threads, c.host_mem, c.wants_gpu);
  c.warnings.insert(c.warnings.end(), more.begin(), more.end());
  std::ostringstream out;
  if (json) {
    nlohmann::json j = to_json(inv);
    if (have_load) j["load_average"] = {load[0], load[1], load[2]};
    j["trials"] = c.plan;
    nlohmann::json w = nlohmann::json::array();
    for (const auto& x : c.warnings) w.push_back({{"what", x.what}, {"fix", x.fix}});
    j["warnings"] = w;
    out << j.dump(2) << "\n";
  } else {
    char line[120];
    std::snprintf(line, sizeof line, "Load:     %.2f %.2f %.2f (1, 5, 15 min) on %d usable CPUs\n", load[0],
                  load[1], load[2], inv.pus);
    if (have_load) out << line;
    print_text(inv, c.plan, c.warnings, out);
  }
  return out.str();
}

#ifdef MCTSNAS_HAVE_MPI
// Under mpirun: rank 0 prints every rank's report (host, cores, NUMA nodes, GPUs),
// in rank order; a rank whose report fails sends its one-line error instead.
int doctor_every_rank(MpiSession& mpi, const std::string& config, bool json) {
  nlohmann::json mine = {{"rank", mpi.rank()}, {"host", mpi.host()}};
  try {
    const std::string report = doctor_report(config, json);
    mine["doctor"] = json ? nlohmann::json::parse(report) : nlohmann::json(report);
  } catch (const Error& e) {
    mine["error"] = e.what();
  }
  std::vector<std::string> all = gather_at_rank0(mpi, MpiTag::doctor, mine.dump());
  if (mpi.rank() != 0) return 0;
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& text : all) ranks.push_back(nlohmann::json::parse(text));
  if (json) {
    std::cout << ranks.dump(2) << "\n";
    return 0;
  }
  for (const auto& r : ranks) {
    std::cout << "== rank " << r["rank"].get<int>() << " on " << r["host"].get<std::string>() << " ==\n";
    if (r.contains("error")) std::cout << "error: " << r["error"].get<std::string>() << "\n";
    else std::cout << r["doctor"].get<std::string>();
  }
  return 0;
}
#endif

}  // namespace

void add_doctor_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("doctor", "Show the CPUs, memory, GPUs and libraries trials will use, and what to fix");
  auto config = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("CONFIG", *config, "A config: also check its inputs and how its trials fit this machine");
  cmd->add_flag("--json", *json, "Print JSON instead of text");
  cmd->callback([&code, config, json] {
    code = guarded("doctor", [&] {
#ifdef MCTSNAS_HAVE_MPI
      if (auto mpi = MpiSession::start_if_launched(); mpi && mpi->distributed())
        return doctor_every_rank(*mpi, *config, *json);
#endif
      std::cout << doctor_report(*config, *json);
      return 0;
    });
  });
}

}  // namespace mctsnas
