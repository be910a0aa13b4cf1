#include "app/report_command.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/report.h"
#include "app/trials_csv.h"
#include "common/error.h"

namespace mctsnas {

int run_report(const std::filesystem::path& run_dir, std::ostream& out, std::ostream& err) {
  try {
    RunData run = read_run(run_dir);
    for (const auto& w : run.warnings) err << "mctsnas report: warning: " << w << "\n";
    auto csv = write_trials_csv(run_dir);
    auto html = write_report(run_dir, ReportOptions{});
    out << "wrote " << html.string() << "\n" << "wrote " << csv.string() << "\n";
    return 0;
  } catch (const Error& e) {
    err << "mctsnas report: error: " << e.what() << "\n";
    return 2;
  }
}

void add_report_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("report", "Write report.html and trials.csv for a run directory");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("RUN_DIR", *dir, "Run directory, e.g. results/<name>-<time>")->required();
  cmd->callback([dir, &code] {
    code = guarded("report", [&] { return run_report(*dir, std::cout, std::cerr); });
  });
}

}  // namespace mctsnas
