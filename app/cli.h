#pragma once
#include <string>
#include <vector>

namespace mctsnas {

// Runs the command line; returns the process exit code
// (0 ok, 1 run failed, 2 bad input: config, flag, file).
int run_cli(int argc, char** argv);

}  // namespace mctsnas
