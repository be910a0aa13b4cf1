#pragma once
#include <CLI/CLI.hpp>

namespace mctsnas {

// `mctsnas doctor [CONFIG] [--json]`: what the budgeter sees (CPUs, NUMA nodes,
// memory, GPUs, driver/CUDA, LibTorch and its BLAS) and warnings a user can act on;
// with a config, also how many of its trials fit at once and with which budgets.
void add_doctor_command(CLI::App& app, int& code);

}  // namespace mctsnas
