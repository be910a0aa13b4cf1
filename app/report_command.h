#pragma once
// `mctsnas report RUN_DIR`: (re)writes RUN_DIR/report.html and RUN_DIR/trials.csv.
#include <filesystem>
#include <iosfwd>

namespace CLI {
class App;
}

namespace mctsnas {

// Returns the exit code (2 when RUN_DIR is missing or malformed).
int run_report(const std::filesystem::path& run_dir, std::ostream& out, std::ostream& err);

// Adds the `report` subcommand to the CLI; its callback stores the exit code in `code`.
void add_report_command(CLI::App& app, int& code);

}  // namespace mctsnas
