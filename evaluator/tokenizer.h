#pragma once
// How a user's text becomes token ids (task.tokenizer): `char`, one token per byte
// (char_vocab.h), or `sentencepiece`, subword units (sentencepiece_tokenizer.h). Both
// number the special tokens alike, so the tasks, export and model.py need no case of
// their own for them:
//   0 padding, 1 BOS, 2 EOS, 3 UNK, first() and up: text.
// No LibTorch here.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mctsnas {

class Tokenizer {
 public:
  static constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kUnk = 3, kFirst = 4;
  // Without a tokenizer (the built-in data, classify with char), byte b is id b + 1.
  static constexpr int64_t kByteVocab = 257;
  virtual ~Tokenizer() = default;
  virtual std::string kind() const = 0;        // "char" | "sentencepiece"
  virtual int64_t size() const = 0;            // ids 0 .. size() - 1
  // The ids of one text. sentencepiece reads a line break as a space.
  virtual std::vector<int64_t> ids(std::string_view text) const = 0;
  // The ids of running text (an lm's): sentencepiece encodes line by line, each line
  // break an EOS; char: ids(text).
  virtual std::vector<int64_t> stream_ids(std::string_view text) const { return ids(text); }
  // The text of ids: padding, BOS and UNK add nothing; EOS is a line break for
  // sentencepiece (stream_ids' inverse) and nothing for char.
  virtual std::string text(std::span<const int64_t> ids) const = 0;
};

// How many of `ids` (any container of ids) are UNK.
template <class Ids>
size_t count_unknown(const Ids& ids) {
  return static_cast<size_t>(std::count(std::begin(ids), std::end(ids), Tokenizer::kUnk));
}

}  // namespace mctsnas
