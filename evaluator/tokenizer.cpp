#include "evaluator/tokenizer.h"

#include <algorithm>

namespace mctsnas {

size_t Tokenizer::unknown(std::string_view text) const {
  const auto v = ids(text);
  return static_cast<size_t>(std::count(v.begin(), v.end(), kUnk));
}

}  // namespace mctsnas
