#include "evaluator/text_tokenizer.h"

#include <filesystem>

#include "common/atomic_file.h"
#include "common/error.h"
#include "evaluator/char_vocab.h"
#include "evaluator/sentencepiece_tokenizer.h"

namespace mctsnas {
namespace {

std::shared_ptr<const Tokenizer> load_model(const std::string& path, const char* key) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const Error& e) {
    throw Error(std::string(key) + ": " + e.what());
  }
  return std::make_shared<SentencePieceTokenizer>(std::move(bytes), path);
}

std::vector<std::string> lines_of(const std::vector<std::string_view>& texts) {
  std::vector<std::string> lines;
  for (auto t : texts)
    while (!t.empty()) {
      const auto nl = t.find('\n');
      lines.emplace_back(t.substr(0, nl));
      if (nl == std::string_view::npos) break;
      t.remove_prefix(nl + 1);
    }
  return lines;
}

}  // namespace

std::shared_ptr<const Tokenizer> make_tokenizer(const TaskOptions& o, const std::vector<std::string_view>& texts) {
  if (o.tokenizer == "char") {
    auto v = std::make_shared<CharVocab>();
    for (auto t : texts) v->learn(t);
    return v;
  }
  if (!o.sentencepiece.model.empty()) return load_model(o.sentencepiece.model, "task.sentencepiece.model");
  std::error_code ec;
  if (!o.tokenizer_cache.empty() && std::filesystem::exists(o.tokenizer_cache, ec))
    return load_model(o.tokenizer_cache, "the run's tokenizer");
  return std::make_shared<SentencePieceTokenizer>(SentencePieceTokenizer::train(lines_of(texts), o.sentencepiece),
                                                  "the trained tokenizer");
}

}  // namespace mctsnas
