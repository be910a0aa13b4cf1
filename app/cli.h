#pragma once
#include <string>
#include <vector>

namespace mctsnas {

// Runs the command line; returns the process exit code
// (0 ok, 1 run failed, 2 bad input: config, flag, file).
int run_cli(int argc, char** argv);

// How to run this binary again, for printed hints ("resume with: ..."): `mctsnas`
// when that name on PATH is this binary (installed), else the path it was run as.
std::string invoked_command();

}  // namespace mctsnas
