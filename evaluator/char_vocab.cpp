#include "evaluator/char_vocab.h"

#include <algorithm>

namespace mctsnas {

void CharVocab::learn(std::string_view text) {
  bool added = false;
  for (char b : text)
    if (index_[static_cast<unsigned char>(b)] < 0) {
      index_[static_cast<unsigned char>(b)] = 0;   // marked; numbered below
      bytes_.push_back(b);
      added = true;
    }
  if (!added) return;
  // Sorted (as char, as TextTask::input_bytes is), so the ids do not depend on the order of the data.
  std::sort(bytes_.begin(), bytes_.end());
  for (size_t k = 0; k < bytes_.size(); ++k) index_[static_cast<unsigned char>(bytes_[k])] = static_cast<int16_t>(k);
}

std::vector<int64_t> CharVocab::ids(std::string_view text) const {
  std::vector<int64_t> out;
  out.reserve(text.size());
  for (char b : text) out.push_back(id(b));
  return out;
}

size_t CharVocab::unknown(std::string_view text) const {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [&](char b) { return index_[static_cast<unsigned char>(b)] < 0; }));
}

}  // namespace mctsnas
