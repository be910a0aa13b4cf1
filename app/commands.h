#pragma once
// Each subcommand registers itself on the CLI app; its callback stores the exit
// code in `code` (0 ok, 1 the run failed or was interrupted, 2 bad input).
#include <CLI/CLI.hpp>

namespace mctsnas {

void add_search_command(CLI::App& app, int& code);
void add_resume_command(CLI::App& app, int& code);
void add_validate_command(CLI::App& app, int& code);
void add_sample_command(CLI::App& app, int& code);

// Runs `body`, turning mctsnas::Error into a one-line message on stderr and exit code 2.
int guarded(const char* command, const std::function<int()>& body);

}  // namespace mctsnas
