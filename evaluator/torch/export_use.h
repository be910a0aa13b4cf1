#pragma once
// Using an exported model (export_model.h) from C++: `mctsnas generate` samples text
// from a language model, `mctsnas predict` runs a G2P, classification or seq2seq model.
// Everything runs on the CPU in fp32, one input at a time.
#include <filesystem>
#include <string>
#include <vector>

#include "evaluator/torch/export_model.h"

namespace mctsnas::torchnas {

struct LoadedModel {
  ExportedModelInfo info;
  SeqModel model{nullptr};
};

// DIR/model.json's description, after the manifest has checked every exported file;
// Error naming the file when one is missing, damaged or does not fit. No LibTorch work:
// serve-plan reads it in the process that forks its instances.
ExportedModelInfo read_exported_model_info(const std::filesystem::path& dir);

// Reads DIR/model.json and DIR/weights.pt; Error naming the file when either is
// missing or does not fit.
LoadedModel load_exported_model(const std::filesystem::path& dir);

struct GenerateOptions {
  int64_t tokens = 200;
  double temperature = 1.0;   // 0: greedy
  uint64_t seed = 0;
};
// The prompt followed by `tokens` sampled tokens (lm models only): bytes, or
// sentencepiece pieces, an EOS piece being a line break.
std::string generate_text(LoadedModel& m, const std::string& prompt, const GenerateOptions& o);

// The phonemes of one word (g2p models only): greedy, or with beam > 1 a beam search
// (export_use.cpp decode_tokens; model.py's beam() is the same).
std::vector<std::string> predict_phonemes(LoadedModel& m, const std::string& word, int beam = 1);

struct ClassPrediction {
  std::string label;
  double probability = 0;
};
ClassPrediction predict_class(LoadedModel& m, const std::string& text);

// The target text of one source text, greedy or by beam search (seq2seq models only; the bytes the model
// decodes, so not necessarily UTF-8). Error when longer than the model's max_len.
std::string predict_sequence(LoadedModel& m, const std::string& source, int beam = 1);

}  // namespace mctsnas::torchnas
