#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/commands.h"
#include "app/doctor_command.h"
#include "app/export_command.h"
#include "app/generate_command.h"
#include "app/predict_command.h"
#include "app/trial_command.h"
#include "app/ls_command.h"
#include "app/report_command.h"
#include "common/error.h"

namespace mctsnas {

int guarded(const char* command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const InternalError& e) {
    std::cerr << "mctsnas " << command << ": " << e.what() << '\n';
    return 1;
  } catch (const Error& e) {
    std::cerr << "mctsnas " << command << ": error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mctsnas " << command << ": error: " << e.what() << '\n';
    return 1;
  }
}

int run_cli(int argc, char** argv) {
  CLI::App app{"mctsnas: neural architecture search by Monte Carlo tree search"};
  app.set_version_flag("--version", std::string("mctsnas ") + MCTSNAS_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  mctsnas search configs/quickstart.yaml\n"
      "  mctsnas search configs/nb201_mcts.yaml --set seed=3 --set search.trials=100\n"
      "  mctsnas validate configs/cells_seq2seq.yaml\n"
      "  mctsnas sample configs/cells_seq2seq.yaml --format dot | dot -Tsvg > cell.svg\n"
      "  mctsnas resume results/nb201-mcts-20261125-101500\n"
      "  mctsnas report results/nb201-mcts-20261125-101500\n"
      "  mctsnas ls results/\n"
      "  mctsnas doctor\n"
      "Run `mctsnas COMMAND --help` for a command's options.");
  int code = 0;
  add_search_command(app, code);
  add_resume_command(app, code);
  add_validate_command(app, code);
  add_sample_command(app, code);
  add_report_command(app, code);
  add_ls_command(app, code);
  add_export_command(app, code);
  add_generate_command(app, code);
  add_predict_command(app, code);
  add_doctor_command(app, code);
  add_trial_command(app, code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int c = app.exit(e);
    return c == 0 ? 0 : 2;
  }
  return code;
}

}  // namespace mctsnas
