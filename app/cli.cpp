#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "app/cli_hints.h"
#include "app/commands.h"
#include "app/compress_command.h"
#include "app/serve_plan_command.h"
#include "app/doctor_command.h"
#include "app/export_command.h"
#include "app/generate_command.h"
#include "app/predict_command.h"
#include "app/trial_command.h"
#include "app/ls_command.h"
#include "app/report_command.h"
#include "common/error.h"
#include "common/strings.h"

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

namespace {

std::string g_argv0 = "mctsnas";

// Each command's --help ends with its own examples (CLI11 would copy the global ones).
const std::map<std::string, std::string>& command_examples() {
  static const std::map<std::string, std::string> examples = {
      {"search",
       "  mctsnas search configs/quickstart.yaml\n"
       "  mctsnas search configs/nb201_mcts.yaml --set seed=3 --set search.trials=100\n"
       "  mctsnas search configs/nb201_mcts.yaml --run-dir results/my-run"},
      {"resume",
       "  mctsnas resume results/nb201-mcts-20261125-101500\n"
       "  mctsnas resume results/nb201-mcts-20261125-101500 --trials 500"},
      {"validate",
       "  mctsnas validate configs/cells_seq2seq.yaml\n"
       "  mctsnas validate configs/quickstart.yaml --set train.steps=100 --resolved"},
      {"sample",
       "  mctsnas sample configs/cells_seq2seq.yaml -n 3\n"
       "  mctsnas sample configs/cells_seq2seq.yaml --format dot | dot -Tsvg > cell.svg"},
      {"report", "  mctsnas report results/nb201-mcts-20261125-101500"},
      {"ls", "  mctsnas ls\n  mctsnas ls results/"},
      {"export",
       "  mctsnas export results/g2p-quickstart-20261125-101500\n"
       "  mctsnas export results/g2p-quickstart-20261125-101500 --rank 2 --out winner2"},
      {"generate", "  mctsnas generate results/lm-gpu-20261125-101500 --prompt 'In the beginning' --tokens 100"},
      {"predict", "  mctsnas predict results/g2p-quickstart-20261125-101500 hello world"},
      {"doctor", "  mctsnas doctor\n  mctsnas doctor configs/g2p_gpu.yaml"},
  };
  return examples;
}

CLI::App* find_command(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->check_name(name)) return sub;
  return nullptr;
}

void set_examples(CLI::App& app) {
  std::string all;
  for (const auto& [name, text] : command_examples()) {
    if (CLI::App* sub = find_command(app, name)) sub->footer("Examples:\n" + text + "\n");
    all += text.substr(0, text.find('\n')) + "\n";
  }
  app.footer("Examples:\n" + all + "Run `mctsnas COMMAND --help` for a command's options and examples.");
}

// CLI11's message, then what the user probably meant.
int parse_failure(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  int c = app.exit(e);
  if (argc > 1)
    if (const CLI::App* cmd = find_command(app, argv[1]))
      for (const auto& hint : config_flag_hints(*cmd, std::vector<std::string>(argv + 2, argv + argc)))
        std::cerr << "mctsnas " << cmd->get_name() << ": " << hint << '\n';
  return c == 0 ? 0 : 2;
}

}  // namespace

std::string invoked_command() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const char* path = std::getenv("PATH");
  for (const std::string& dir : split(path ? path : "", ':'))
    if (!dir.empty() && fs::equivalent(fs::path(dir) / "mctsnas", "/proc/self/exe", ec)) return "mctsnas";
  return g_argv0;
}

int run_cli(int argc, char** argv) {
  if (argc > 0) g_argv0 = argv[0];
  CLI::App app{"mctsnas: neural architecture search by Monte Carlo tree search"};
  app.set_version_flag("--version", std::string("mctsnas ") + MCTSNAS_VERSION);
  app.require_subcommand(1);
  int code = 0;
  add_search_command(app, code);
  add_resume_command(app, code);
  add_validate_command(app, code);
  add_sample_command(app, code);
  add_report_command(app, code);
  add_ls_command(app, code);
  add_export_command(app, code);
  add_compress_command(app, code);
  add_serve_plan_command(app, code);
  add_generate_command(app, code);
  add_predict_command(app, code);
  add_doctor_command(app, code);
  add_trial_command(app, code);
  set_examples(app);
  if (argc > 1 && argv[1][0] != '-') {
    std::string unknown = unknown_command_message(app, argv[1]);
    if (!unknown.empty()) {
      std::cerr << "mctsnas: " << unknown << "\nRun `mctsnas --help` for what each command does.\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_failure(app, e, argc, argv);
  }
  return code;
}

}  // namespace mctsnas
