#pragma once
// What a failed command line probably meant: a mistyped command, or a config key
// given as a flag (`search CFG --trials 5` for `--set search.trials=5`).
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace mctsnas {

// "unknown command 'serch'; did you mean 'search'?" when `word` names no visible
// subcommand of `app`; "" when it names one.
std::string unknown_command_message(const CLI::App& app, const std::string& word);

// For each `--name[=value]` in args (the words after the subcommand) that `cmd`
// does not know and that is the last part of a config key: "use --set path=value".
std::vector<std::string> config_flag_hints(const CLI::App& cmd, const std::vector<std::string>& args);

}  // namespace mctsnas
