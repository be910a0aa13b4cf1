#pragma once
// The char tokenizer of a user's seq2seq and lm data: one token per byte, the
// vocabulary being the bytes the training split uses. Ids (tokenizer.h):
//   0 padding, 1 BOS, 2 EOS, 3 UNK (a byte the training split never used), 4 + k: bytes()[k].
// Validation and test bytes outside the vocabulary read as UNK rather than fail.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "evaluator/tokenizer.h"

namespace mctsnas {

class CharVocab : public Tokenizer {
 public:
  CharVocab() { index_.fill(-1); }
  // Adds the bytes of `text` (the training split's).
  void learn(std::string_view text);
  const std::string& bytes() const { return bytes_; }   // sorted as char, unique
  std::string kind() const override { return "char"; }
  int64_t size() const override { return kFirst + static_cast<int64_t>(bytes_.size()); }
  int64_t id(char byte) const {
    const int16_t k = index_[static_cast<unsigned char>(byte)];
    return k < 0 ? kUnk : kFirst + k;
  }
  std::vector<int64_t> ids(std::string_view text) const override;
  std::string text(std::span<const int64_t> ids) const override;

 private:
  std::string bytes_;
  std::array<int16_t, 256> index_;   // byte -> position in bytes_, -1: not in it
};

}  // namespace mctsnas
