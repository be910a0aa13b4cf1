#include "evaluator/text_tokenizer.h"

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strings.h"
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
    for (auto& line : split(t, '\n')) lines.push_back(std::move(line));   // blank ones: the trainer skips them
  return lines;
}

// A model trained on these texts with these options, trained once per process: the
// evaluator, the cost model (task_dims.h) and `validate` each read the data and ask
// for it, and on a large corpus one training takes minutes.
std::string trained_model(const std::vector<std::string_view>& texts, const SentencePieceOptions& o) {
  size_t key = std::hash<std::string>{}(o.model_type + " " + std::to_string(o.vocab_size) + " " +
                                        std::to_string(o.character_coverage));
  for (auto t : texts) key = key * 1000003 ^ std::hash<std::string_view>{}(t);
  static std::mutex mutex;
  static std::map<size_t, std::string> trained;
  std::lock_guard<std::mutex> lock(mutex);
  auto at = trained.find(key);
  if (at == trained.end()) at = trained.emplace(key, SentencePieceTokenizer::train(lines_of(texts), o)).first;
  return at->second;
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
  return std::make_shared<SentencePieceTokenizer>(trained_model(texts, o.sentencepiece), "the trained tokenizer");
}

}  // namespace mctsnas
