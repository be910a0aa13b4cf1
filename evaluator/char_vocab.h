#pragma once
// The char tokenizer of a user's seq2seq and lm data: one token per byte, the
// vocabulary being the bytes the training split uses. Ids:
//   0 padding, 1 BOS, 2 EOS, 3 UNK (a byte the training split never used), 4 + k: bytes()[k].
// Validation and test bytes outside the vocabulary read as UNK rather than fail.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mctsnas {

class CharVocab {
 public:
  static constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kUnk = 3, kFirst = 4;

  CharVocab() { index_.fill(-1); }
  // Adds the bytes of `text` (the training split's).
  void learn(std::string_view text);
  const std::string& bytes() const { return bytes_; }   // sorted as char, unique
  int64_t size() const { return kFirst + static_cast<int64_t>(bytes_.size()); }
  int64_t id(char byte) const {
    const int16_t k = index_[static_cast<unsigned char>(byte)];
    return k < 0 ? kUnk : kFirst + k;
  }
  std::vector<int64_t> ids(std::string_view text) const;
  // How many bytes of `text` the vocabulary lacks (they read as UNK).
  size_t unknown(std::string_view text) const;

 private:
  std::string bytes_;
  std::array<int16_t, 256> index_;   // byte -> position in bytes_, -1: not in it
};

}  // namespace mctsnas
