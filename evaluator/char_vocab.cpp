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

std::string CharVocab::text(std::span<const int64_t> ids) const {
  std::string out;
  for (int64_t id : ids)
    if (id >= kFirst && id < size()) out.push_back(bytes_[static_cast<size_t>(id - kFirst)]);
  return out;
}

}  // namespace mctsnas
