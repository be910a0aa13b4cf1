#pragma once
#include <CLI/CLI.hpp>

namespace mctsnas {

// `mctsnas trial --config RESOLVED.yaml [--result-fd N]`: the worker that ProcessPool
// starts for one trial (runtime/trial_worker.h describes the pipe protocol). Hidden
// from --help: users never run it themselves.
void add_trial_command(CLI::App& app, int& code);

}  // namespace mctsnas
