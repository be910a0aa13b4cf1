#include "evaluator/sentencepiece_tokenizer.h"

#include <algorithm>

#include "common/error.h"
#include "common/strings.h"
#include "evaluator/sentencepiece_backend.h"

namespace mctsnas {
namespace {

// The unigram trainer's scores depend on how many threads share its work, so a fixed
// count keeps the model the same on every machine.
constexpr int kTrainThreads = 4;
// The trainer samples at most this many lines (seeded, so the same ones each time):
// enough for a subword vocabulary, and bounded memory on a large file.
constexpr int kMaxTrainLines = 1000000;

// SentencePiece reads one sentence at a time: a line break inside is a space.
std::string newlines_as_spaces(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(std::string serialized, const std::string& source)
    : sp_(make_sentencepiece_backend()), serialized_(std::move(serialized)) {
  if (const auto why = sp_->load(serialized_); !why.empty())
    throw Error(source + ": not a SentencePiece model (" + one_line(why) + ")");
  const bool ours = sp_->pad_id() == kPad && sp_->bos_id() == kBos && sp_->eos_id() == kEos && sp_->unk_id() == kUnk;
  offset_ = ours ? 0 : kFirst;
  unk_piece_ = sp_->unk_id();
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::string SentencePieceTokenizer::train(const std::vector<std::string>& lines, const SentencePieceOptions& o) {
  std::vector<std::string> text;
  for (const auto& l : lines)
    if (l.find_first_not_of(" \t\r") != std::string::npos) text.push_back(newlines_as_spaces(l));
  if (text.empty()) throw Error("task.sentencepiece: the training split holds no text to train a tokenizer on");
  std::string model;
  const auto why = make_sentencepiece_backend()->train(
      text,
      {{"model_type", o.model_type},
       {"vocab_size", std::to_string(o.vocab_size)},
       {"character_coverage", std::to_string(o.character_coverage)},
       {"pad_id", "0"}, {"bos_id", "1"}, {"eos_id", "2"}, {"unk_id", "3"},
       {"num_threads", std::to_string(kTrainThreads)},
       {"input_sentence_size", std::to_string(kMaxTrainLines)},
       {"shuffle_input_sentence", "true"},
       {"max_sentence_length", "65536"},
       {"minloglevel", "1"}},   // no progress lines on stderr
      /*seed=*/1, &model);
  if (!why.empty()) {
    // "Internal: ./src/trainer_interface.cc(660) [check] Vocabulary size too high ...": the last part says it.
    const auto bracket = why.rfind("] ");
    throw Error("task.sentencepiece.vocab_size " + std::to_string(o.vocab_size) + ": training a " + o.model_type +
                " model on the training split failed: " + one_line(bracket == std::string::npos ? why : why.substr(bracket + 2)));
  }
  return model;
}

int64_t SentencePieceTokenizer::size() const { return sp_->pieces() + offset_; }

std::vector<int64_t> SentencePieceTokenizer::ids(std::string_view text) const {
  const auto pieces = sp_->encode(newlines_as_spaces(std::string(text)));
  std::vector<int64_t> out;
  out.reserve(pieces.size());
  for (int p : pieces) out.push_back(p == unk_piece_ ? kUnk : p + offset_);
  return out;
}

std::vector<int64_t> SentencePieceTokenizer::stream_ids(std::string_view text) const {
  std::vector<int64_t> out;
  const auto lines = split(text, '\n');
  for (size_t k = 0; k < lines.size(); ++k) {
    if (k > 0) out.push_back(kEos);   // the line break before line k
    const auto line = ids(lines[k]);
    out.insert(out.end(), line.begin(), line.end());
  }
  return out;
}

std::string SentencePieceTokenizer::text(std::span<const int64_t> ids) const {
  std::string out;
  std::vector<int> line;
  auto flush = [&] {
    out += sp_->decode(line);
    line.clear();
  };
  for (int64_t id : ids) {
    if (id == kEos) {
      flush();
      out += '\n';
    } else if (id >= kFirst && id < size()) {
      line.push_back(static_cast<int>(id - offset_));
    }
  }
  flush();
  return out;
}

}  // namespace mctsnas
