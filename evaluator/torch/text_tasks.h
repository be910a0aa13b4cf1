#pragma once
// The text tasks: batches, loss and the task metric of a model.
//   lm        next-token model of a user's text (task.tokenizer: char or sentencepiece,
//             evaluator/tokenizer.h) or the KJV Bible (byte b is id b + 1); metrics bits
//             per character (byte of text) and bits per token
//   g2p       CMU dict, grapheme -> phoneme; phoneme error rate, word accuracy (greedy)
//   classify  labelled texts (the user's files, or SpamAssassin spam vs ham from subject
//             + body) from their bytes or sentencepiece tokens; accuracy, macro-F1 and
//             each class's F1
//   seq2seq   a user's source -> target pairs, tokenized as task.tokenizer says; token
//             error rate and exact match (greedy decoding, as g2p)
#include <torch/torch.h>

#include <memory>
#include <string>

#include "common/rng.h"
#include "evaluator/tokenizer.h"
#include "evaluator/evaluator.h"
#include "evaluator/task_options.h"
#include "evaluator/torch/seq_model.h"
#include "evaluator/torch/text_data.h"

namespace mctsnas::torchnas {

struct Batch {
  torch::Tensor src, src_pad;             // encoder input [B, S] and its padding mask
  torch::Tensor tgt_in, tgt_out, tgt_pad; // decoder input / target [B, T] (0 = padding)
  torch::Tensor labels;                   // classify: [B]
  Batch to(const torch::Device& d) const;
};

class TextTask {
 public:
  virtual ~TextTask() = default;
  virtual std::string kind() const = 0;
  virtual std::string model_kind() const = 0;          // what CellArchitecture::model must be
  virtual ModelShape shape() const = 0;
  virtual std::string metric() const = 0;              // primary, without split prefix: "per"
  // The bytes the training split's inputs use, sorted, for `predict` to warn about
  // characters the model never saw; empty: any byte (the language model).
  virtual std::string input_bytes() const { return {}; }
  virtual bool minimize() const = 0;
  virtual size_t size(Split s) const = 0;
  // classify: the label of each output, in order; empty for the other tasks.
  virtual std::vector<std::string> labels() const { return {}; }
  // The tokenizers of a user's seq2seq pairs (both), lm text (target only) or classify
  // texts with sentencepiece (source only); null where the ids are fixed (the built-in
  // data, classify's bytes).
  virtual const Tokenizer* source_vocab() const { return nullptr; }
  virtual const Tokenizer* target_vocab() const { return nullptr; }
  // What `validate` prints about the data: split sizes (classify: each label's count).
  virtual std::string data_summary() const;

  virtual Batch sample_train(int64_t batch, Rng& rng) const = 0;
  virtual torch::Tensor loss(SeqModel& model, const Batch& b) const = 0;
  // Metrics over the first max_examples of a split (0: all), named "<split>_<metric>".
  virtual Metrics evaluate(SeqModel& model, Split s, int64_t batch, int64_t max_examples,
                           const torch::Device& device) const = 0;
  // A batch of `batch` full-length examples (latency measurement).
  virtual Batch example_batch(int64_t batch) const = 0;
  // What serving one batch runs, for the latency metrics: by default one forward
  // pass (classify: the labels' logits; LM: one next-token step over a full-length
  // context, no KV cache). G2P and seq2seq override it with a whole greedy decode.
  virtual torch::Tensor infer(SeqModel& model, const Batch& b) const;
  // Source/target lengths for the FLOP estimate of one example.
  virtual std::pair<int64_t, int64_t> flop_lengths() const = 0;
};

std::unique_ptr<TextTask> make_text_task(const TaskOptions& opts);

// Greedy decoding from BOS for `steps` steps, the decoder re-run on the whole prefix
// (sequences are short); a row that has emitted EOS keeps emitting it. stop_early:
// end once every row has. Returns [B, 1 + steps taken], BOS first.
struct DecodeTokens {
  int64_t bos = 1, eos = 2;
};
torch::Tensor greedy_decode(SeqModel& m, const torch::Tensor& src, const torch::Tensor& src_pad, int64_t steps,
                            DecodeTokens tokens, bool stop_early);

// A classify task's confusion matrix over the first max_examples of a split (0: all):
// [true label][predicted label] counts, labels in TextTask::labels() order. Error for
// another task kind.
std::vector<std::vector<int64_t>> classify_confusion(const TextTask& task, SeqModel& model, Split s, int64_t batch,
                                                     int64_t max_examples, const torch::Device& device);

// Levenshtein distance (phoneme error rate).
int64_t edit_distance(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

}  // namespace mctsnas::torchnas
