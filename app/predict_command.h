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
// An input with characters the model never saw in training still gets its output
// line, and a warning on `err` naming them.
// `variant`: fp32 (the export) or a compressed one (mctsnas compress).
void run_predict(const std::filesystem::path& run_dir, const std::vector<std::string>& inputs, std::ostream& out,
                 std::ostream& err, const std::string& variant = "fp32", int beam = 1);

// The characters of `text` (whole UTF-8 sequences) with a byte outside `known`
// (sorted bytes), each once, in order of appearance. Exposed for tests.
std::vector<std::string> unseen_characters(const std::string& text, const std::string& known);

void add_predict_command(CLI::App& app, int& code);

}  // namespace mctsnas
