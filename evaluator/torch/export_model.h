#pragma once
// An exported model of the `cells` space, as files a user takes home:
//   model.json  what rebuilds the model without the run: architecture (with each op's
//               parameters spelled out, and for a pruned model "op_units": module
//               path -> units kept, ModelSpec::op_units; absent means unpruned),
//               shapes, the task and its vocabulary
//   weights.pt  the parameters, a LibTorch archive (save_weights); its names are the
//               module paths ("decoder.1.node0_in1.conv.weight"), fixed by the
//               architecture alone, so model.py and load_weights find them
//   model.py    a self-contained PyTorch definition of the same model (export_pytorch.h)
// and the in-process (re)training that makes them: trials run in worker processes
// and keep no weights, so an export trains the chosen architecture again.
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evaluator/text_tokenizer.h"
#include "evaluator/evaluator.h"
#include "evaluator/task_options.h"
#include "evaluator/torch/seq_model.h"

namespace mctsnas::torchnas {

inline constexpr const char* kModelFormat = "mctsnas-model/1";

// A user's tokenizers (TextTask::source_vocab, target_vocab): seq2seq has both, an lm
// on the user's text the target only, classify with sentencepiece the source only;
// none: the fixed byte ids.
struct TaskTokenizers {
  const Tokenizer* source = nullptr;
  const Tokenizer* target = nullptr;
};

// The task's token ids, as text_tasks.cpp assigns them. The built-in data and classify
// read bytes ("input": "bytes": byte b is id b + 1, 0 is padding; g2p's decoder: 1 BOS,
// 2 EOS, 3 + i phone i; classify: output k is labels[k], TextTask::labels, at least 2).
// With char vocabularies ("input": "chars", char_vocab.h): pad, bos, eos, unk, first,
// and "source_bytes" / "target_bytes", the byte of id first + k at k. With sentencepiece
// ("input": "sentencepiece"): pad, bos, eos, unk, first, "model" (kTokenizerFile, one
// model for both sides) and "offset" (sentencepiece_tokenizer.h: piece k is id offset + k).
nlohmann::json task_vocabulary(const std::string& task_kind, const std::vector<std::string>& labels = {},
                               TaskTokenizers tokenizers = {});

// model.json's content. input_bytes: the bytes the training inputs use (TextTask::
// input_bytes), kept as "input_bytes" when not empty so `predict` can warn about others.
// labels: a classify model's label names (one per output).
nlohmann::json model_description(const ModelSpec& spec, const ModelShape& shape, const std::string& task_kind,
                                 const std::string& input_bytes = {}, const std::vector<std::string>& labels = {},
                                 TaskTokenizers tokenizers = {});

struct ExportedModelInfo {
  ModelSpec spec;
  ModelShape shape;
  std::string task;           // lm | g2p | classify | seq2seq
  nlohmann::json vocab;
  // "input": "chars" or "sentencepiece" (task_vocabulary); sentencepiece's is loaded
  // from the export's kTokenizerFile by read_exported_model_info.
  std::shared_ptr<const Tokenizer> source_tokenizer, target_tokenizer;
  std::string input_bytes;    // sorted; empty: not recorded (any byte)
  std::string variant = "fp32";        // fp32 | int8 (compress.h)
  std::string weights = "weights.pt";  // the weights file, next to model.json
  TaskTokenizers tokenizers() const { return {source_tokenizer.get(), target_tokenizer.get()}; }
};
// Reads model.json's content back; Error naming `where` and the key at fault. `dir`:
// the folder it was read from, where a sentencepiece model's kTokenizerFile is.
ExportedModelInfo read_model_description(const nlohmann::json& j, const std::string& where,
                                         const std::filesystem::path& dir = {});

// Writes model.json, weights.pt and model.py into `dir` (created); returns their paths.
std::vector<std::filesystem::path> write_model_files(const SeqModel& model, const ModelSpec& spec,
                                                     const ModelShape& shape, const std::string& task_kind,
                                                     const std::filesystem::path& dir,
                                                     const std::string& input_bytes = {},
                                                     const std::vector<std::string>& labels = {},
                                                     TaskTokenizers tokenizers = {});

// A compressed variant's model.json in `variant_dir`: the export's (in `best_dir`)
// with "variant" and "weights" (its weights file) added; and its tokenizer file, if any.
void write_variant_description(const std::filesystem::path& best_dir, const std::filesystem::path& variant_dir,
                               const std::string& variant, const std::string& weights_file);

struct ExportTraining {
  TaskOptions task;
  TrainOptions train;          // train.steps: the run's or --retrain-steps
  uint64_t seed = 0;           // the trial's seed: same init and batches as the trial
  bool use_gpu = true;         // CUDA device 0 when LibTorch sees one
};

struct ExportResult {
  Metrics metrics;             // params, flops, latency_ms_b1, steps, train_loss, val_*, test_*
  nlohmann::json confusion;    // classify: {"labels", "examples", "val", "test"} (rows: true label); else null
  std::string device;
  std::vector<std::filesystem::path> files;
};

// Trains `arch` on the task's training split as a trial does (same seed, schedule and
// final evaluation), then writes the model files into `dir`. Progress lines go to `log`.
ExportResult train_and_export(const CellArchitecture& arch, const ExportTraining& how,
                              const std::filesystem::path& dir, std::ostream* log);

}  // namespace mctsnas::torchnas
