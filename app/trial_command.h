#pragma once
#include <CLI/CLI.hpp>

namespace mctsnas {

// `mctsnas trial --config RESOLVED.yaml [--result-fd N]`: an exec'd worker that
// ProcessPool starts for one trial (runtime/trial_worker.h describes the pipe
// protocol); with `--fork-server --control-fd N --parent-pid P`, the fork server that
// forks one child per trial instead (runtime/fork_server.h). Hidden from --help:
// users never run it themselves.
void add_trial_command(CLI::App& app, int& code);

}  // namespace mctsnas
