#pragma once
// task.tokenizer: sentencepiece — subword units from the SentencePiece library
// (Debian libsentencepiece-dev), unigram or BPE, trained on the training split or
// loaded from a user's .model. Ids as tokenizer.h numbers them: a model trained here
// has pad 0, BOS 1, EOS 2, UNK 3 and its pieces from 4, so id = piece id; a user's
// model with another layout (spm_train's default: UNK 0, BOS 1, EOS 2, no padding)
// has piece k at id 4 + k (offset() 4) and its UNK piece at 3.
#include <memory>
#include <string>
#include <vector>

#include "evaluator/task_options.h"
#include "evaluator/tokenizer.h"

namespace mctsnas {

class SentencePieceBackend;   // sentencepiece_backend.h

class SentencePieceTokenizer : public Tokenizer {
 public:
  // `serialized`: the bytes of a .model file; `source` names it in errors.
  SentencePieceTokenizer(std::string serialized, const std::string& source);
  ~SentencePieceTokenizer() override;
  // Trains a model on `lines` (each one sentence; line breaks inside are spaces) as
  // `o` says; returns its serialized bytes. Deterministic: the same lines and options
  // give the same model on any machine. Error naming task.sentencepiece on failure
  // (a vocab_size the text cannot fill, no text).
  static std::string train(const std::vector<std::string>& lines, const SentencePieceOptions& o);

  const std::string& serialized() const { return serialized_; }
  int64_t offset() const { return offset_; }
  std::string kind() const override { return "sentencepiece"; }
  int64_t size() const override;
  std::vector<int64_t> ids(std::string_view text) const override;
  std::vector<int64_t> stream_ids(std::string_view text) const override;
  std::string text(std::span<const int64_t> ids) const override;

 private:
  std::unique_ptr<SentencePieceBackend> sp_;
  std::string serialized_;
  int64_t offset_ = 0;
  int unk_piece_ = 0;
};

}  // namespace mctsnas
