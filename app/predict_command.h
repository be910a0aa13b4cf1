#pragma once
// `mctsnas predict RUN_DIR INPUT...`: runs the G2P (word -> phonemes, greedy) or
// classification (text -> label and probability) model `mctsnas export` wrote into
// RUN_DIR/best/, one output line per input.
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace mctsnas {

// Throws Error on bad input (a table run, a run not exported, a language model).
void run_predict(const std::filesystem::path& run_dir, const std::vector<std::string>& inputs, std::ostream& out);

void add_predict_command(CLI::App& app, int& code);

}  // namespace mctsnas
