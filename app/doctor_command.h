#pragma once
#include <CLI/CLI.hpp>

#include <optional>

#include "runtime/inventory.h"

namespace mctsnas {

// `mctsnas doctor [CONFIG] [--json]`: what the budgeter sees (CPUs, NUMA nodes,
// memory, GPUs, driver/CUDA, LibTorch and its BLAS, the load average) and warnings
// a user can act on; with a config, also whether its inputs (table, dataset) load
// and how many of its trials fit at once and with which budgets.
void add_doctor_command(CLI::App& app, int& code);

// A warning when the 1-minute load average is above the usable CPUs: other work
// competes with the trials. Exposed for tests.
std::optional<DoctorWarning> busy_machine_warning(double load_1min, int cpus);

}  // namespace mctsnas
