#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "common/error.h"

namespace mctsnas {

int run_cli(int argc, char** argv) {
  CLI::App app{"mctsnas: neural architecture search by Monte Carlo tree search"};
  app.set_version_flag("--version", std::string("mctsnas ") + MCTSNAS_VERSION);
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace mctsnas
