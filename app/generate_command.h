#pragma once
// `mctsnas generate RUN_DIR --prompt TEXT [--tokens N] [--temperature T] [--seed S] [--variant V]`:
// samples text from the language model `mctsnas export` wrote into RUN_DIR/best/.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace mctsnas {

struct GenerateCommandOptions {
  std::filesystem::path run_dir;
  std::string prompt;
  int64_t tokens = 200;
  double temperature = 1.0;   // 0: greedy
  uint64_t seed = 0;
  std::string variant = "fp32";   // or a compressed one (mctsnas compress): int8
};

// Writes the prompt and its continuation to `out`; throws Error on bad input (a table
// run, a run not exported, a model that is not a language model).
void run_generate(const GenerateCommandOptions& options, std::ostream& out);

void add_generate_command(CLI::App& app, int& code);

}  // namespace mctsnas
