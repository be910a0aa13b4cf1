#include "evaluator/task_dims.h"

namespace mctsnas {
namespace {

constexpr int64_t kByteVocab = 257;        // byte b -> id b + 1; 0 is padding
constexpr int64_t kPhoneVocab = 3 + 39;    // padding, BOS, EOS, then the 39 ARPAbet phones

}  // namespace

std::optional<ModelDims> task_model_dims(const TaskOptions& task) {
  const int64_t len = task.max_len;
  // FLOPs are counted for one example at full length: lm reads len target tokens,
  // g2p len source and len target tokens, classify len source tokens.
  if (task.kind == "lm") return ModelDims{0, kByteVocab, 0, len, 0, len};
  if (task.kind == "g2p") return ModelDims{kByteVocab, kPhoneVocab, 0, len, len, len};
  if (task.kind == "classify") return ModelDims{kByteVocab, 0, 2, len, len, 0};
  return std::nullopt;
}

}  // namespace mctsnas
