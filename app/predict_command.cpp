#include "app/predict_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/export_command.h"
#include "common/error.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "evaluator/torch/export_use.h"
#endif

namespace mctsnas {

std::vector<std::string> unseen_characters(const std::string& text, const std::string& known) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    // A UTF-8 sequence: a lead byte and its continuation bytes (10xxxxxx).
    size_t n = 1;
    while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;
    const std::string ch = text.substr(i, n);
    const bool seen = std::all_of(ch.begin(), ch.end(), [&](char b) { return std::binary_search(known.begin(), known.end(), b); });
    if (!seen && std::find(out.begin(), out.end(), ch) == out.end()) out.push_back(ch);
    i += n;
  }
  return out;
}

namespace {

#ifdef MCTSNAS_HAVE_TORCH
// G2P models read lower-cased words (predict_phonemes); the others read the text as is.
void warn_unseen(const torchnas::LoadedModel& model, const std::string& input, std::ostream& err) {
  if (model.info.input_bytes.empty()) return;
  std::string text = input;
  if (model.info.task == "g2p")
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto unseen = unseen_characters(text, model.info.input_bytes);
  if (unseen.empty()) return;
  std::string list;
  for (const auto& c : unseen) list += (list.empty() ? "'" : ", '") + c + "'";
  err << "mctsnas predict: warning: '" << input << "': the model never saw " << list
      << " in training, so its output for this input is a guess\n";
}
#endif

}  // namespace

void run_predict(const std::filesystem::path& run_dir, const std::vector<std::string>& inputs, std::ostream& out,
                 std::ostream& err, const std::string& variant, int beam) {
  [[maybe_unused]] const auto dir = exported_model_dir(run_dir, variant);
#ifdef MCTSNAS_HAVE_TORCH
  auto model = torchnas::load_exported_model(dir);
  if (beam > 1 && model.info.task != "g2p" && model.info.task != "seq2seq")
    throw Error("--beam " + std::to_string(beam) + ": beam search decodes g2p and seq2seq models; this one is for task " +
                model.info.task);
  if (model.info.task == "lm")
    throw Error(run_dir.string() + ": predict runs g2p, classify and seq2seq models; for a language model use "
                "`mctsnas generate " + run_dir.string() + " --prompt TEXT`");
  for (const auto& in : inputs) {
    warn_unseen(model, in, err);
    if (model.info.task == "g2p") {
      std::string line = in + "\t";
      const auto phones = torchnas::predict_phonemes(model, in, beam);
      for (size_t i = 0; i < phones.size(); ++i) line += (i ? " " : "") + phones[i];
      out << line << "\n";
    } else if (model.info.task == "seq2seq") {
      out << in << "\t" << torchnas::predict_sequence(model, in, beam) << "\n";
    } else {
      const auto p = torchnas::predict_class(model, in);
      char prob[32];
      std::snprintf(prob, sizeof prob, "%.4f", p.probability);
      out << p.label << "\t" << prob << "\t" << in << "\n";
    }
  }
#else
  (void)inputs;
  (void)out;
  (void)err;
  (void)beam;
  throw Error("predict runs LibTorch models, and this mctsnas was built without it (rebuild with -DMCTSNAS_WITH_TORCH=ON)");
#endif
}

void add_predict_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("predict", "Run a run's exported G2P, classification or seq2seq model on words or texts");
  auto dir = std::make_shared<std::string>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto variant = std::make_shared<std::string>("fp32");
  auto beam = std::make_shared<int>(1);
  cmd->add_option("RUN_DIR", *dir, "Run directory of a g2p, classify or seq2seq run, exported with `mctsnas export`")
      ->required();
  cmd->add_option("INPUT", *inputs, "Words (g2p) or texts (classify; seq2seq: source texts)")->required();
  cmd->add_option("--variant", *variant, "fp32 (the export) or a compressed variant (mctsnas compress): int8, distill, prune")
      ->default_val("fp32");
  cmd->add_option("--beam", *beam, "g2p and seq2seq: keep this many hypotheses (beam search); 1: greedy decoding")
      ->default_val(1)
      ->check(CLI::Range(1, 64));
  cmd->callback([=, &code] {
    code = guarded("predict", [&] {
      run_predict(*dir, *inputs, std::cout, std::cerr, *variant, *beam);
      return 0;
    });
  });
}

}  // namespace mctsnas
