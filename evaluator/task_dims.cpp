#include "evaluator/task_dims.h"

#include "evaluator/user_text_data.h"

namespace mctsnas {
namespace {

constexpr int64_t kByteVocab = Tokenizer::kByteVocab;   // byte b -> id b + 1; 0 is padding
constexpr int64_t kPhoneVocab = 3 + 39;    // padding, BOS, EOS, then the 39 ARPAbet phones

}  // namespace

bool is_text_task(const std::string& kind) {
  return kind == "lm" || kind == "g2p" || kind == "classify" || kind == "seq2seq";
}

// FLOPs are counted for one example at full length: lm reads len target tokens,
// g2p and seq2seq len source and len target tokens, classify len source tokens.
ModelDims lm_dims(const TaskOptions& task, int64_t vocab) { return {0, vocab, 0, task.max_len, 0, task.max_len}; }

ModelDims classify_dims(const TaskOptions& task, int64_t classes, int64_t vocab) {
  return {vocab, 0, classes, task.max_len, task.max_len, 0};
}

ModelDims seq2seq_dims(const TaskOptions& task, int64_t src_vocab, int64_t tgt_vocab) {
  return {src_vocab, tgt_vocab, 0, task.max_len, task.max_len, task.max_len};
}

std::optional<ModelDims> task_model_dims(const TaskOptions& task) {
  // The built-in data (and classify's char input): the byte vocabulary; spam's 2 classes.
  const bool own_files = !task.train.empty();
  if (task.kind == "lm") return lm_dims(task, own_files ? read_lm_data(task).tokenizer->size() : kByteVocab);
  if (task.kind == "g2p") return seq2seq_dims(task, kByteVocab, kPhoneVocab);
  if (task.kind == "classify") {
    const auto n = own_files ? classify_sizes(task) : ClassifySizes{2, kByteVocab};
    return classify_dims(task, n.labels, n.vocab);
  }
  if (task.kind == "seq2seq") {
    const auto d = read_seq2seq_data(task);
    return seq2seq_dims(task, d.source->size(), d.target->size());
  }
  return std::nullopt;
}

}  // namespace mctsnas
