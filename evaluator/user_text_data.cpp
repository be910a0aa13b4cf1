#include "evaluator/user_text_data.h"

#include <algorithm>
#include <array>
#include <set>
#include <sstream>

#include "common/error.h"
#include "evaluator/text_tokenizer.h"

namespace mctsnas {
namespace {

struct SplitFile {
  const std::string* path;
  const char* key;
};

std::array<SplitFile, 3> split_files(const TaskOptions& o) {
  return {SplitFile{&o.train, "task.train"}, {&o.validation, "task.validation"}, {&o.test, "task.test"}};
}

// "N source / M target" tokens of a split read as UNK.
std::string unknown_tokens(const Seq2seqData& d, Split s) {
  size_t src = 0, tgt = 0;
  for (const auto& p : d.splits[static_cast<int>(s)]) {
    src += count_unknown(p.source);
    tgt += count_unknown(p.target);
  }
  return std::to_string(src) + " source / " + std::to_string(tgt) + " target";
}


// The ids of `text` as int32 (an lm's stream: 4 bytes a token, not 8), encoded a block
// of whole lines at a time so a large file never has all its 64-bit ids at once.
std::vector<int32_t> stream_tokens(const Tokenizer& tok, std::string_view text) {
  constexpr size_t kBlock = size_t{1} << 20;
  std::vector<int32_t> out;
  while (!text.empty()) {
    size_t end = text.size() <= kBlock ? text.size() : text.rfind('\n', kBlock);
    end = end == std::string_view::npos || end < kBlock / 2 ? std::min(text.size(), kBlock) : end + 1;
    for (int64_t id : tok.stream_ids(text.substr(0, end))) out.push_back(static_cast<int32_t>(id));
    text.remove_prefix(end);
  }
  return out;
}

}  // namespace

std::string vocabulary_line(const Tokenizer& t) {
  return t.kind() == "char" ? std::to_string(t.size() - Tokenizer::kFirst) + " bytes of train"
                            : std::to_string(t.size()) + " sentencepiece ids";
}

std::vector<RecordField> classify_fields(const TaskOptions& o) {
  return {{o.text_field, "task.text_field", "text", false}, {o.label_field, "task.label_field", "label", true}};
}

std::vector<std::string> classify_labels(const std::vector<TextRecord>& train, const std::string& path) {
  std::set<std::string> names;
  for (const auto& r : train) names.insert(r.fields.at(1));
  if (names.size() < 2)
    throw Error(path + ": every record has the label '" + *names.begin() + "'; classify needs at least 2 labels");
  return {names.begin(), names.end()};
}

std::shared_ptr<const Tokenizer> classify_tokenizer(const TaskOptions& o, const std::vector<TextRecord>& train) {
  if (o.tokenizer == "char") return nullptr;
  std::vector<std::string_view> texts;
  for (const auto& r : train) texts.push_back(r.fields.at(0));
  return make_tokenizer(o, texts);
}

ClassifySizes classify_sizes(const TaskOptions& o) {
  const auto train = read_text_records(o.train, "task.train", classify_fields(o), o.max_file_size, "classify");
  const auto tok = classify_tokenizer(o, train);
  return {static_cast<int64_t>(classify_labels(train, o.train).size()), tok ? tok->size() : Tokenizer::kByteVocab};
}

Seq2seqData read_seq2seq_data(const TaskOptions& o) {
  const std::vector<RecordField> fields = {{o.source_field, "task.source_field", "source", false},
                                           {o.target_field, "task.target_field", "target", false}};
  const auto files = split_files(o);
  std::vector<TextRecord> raw[3];
  for (int k = 0; k < 3; ++k)
    raw[k] = read_text_records(*files[k].path, files[k].key, fields, o.max_file_size, "seq2seq");
  Seq2seqData d;
  std::vector<std::string_view> sources, targets;
  for (const auto& r : raw[0]) {
    sources.push_back(r.fields[0]);
    targets.push_back(r.fields[1]);
  }
  if (o.tokenizer == "char") {
    d.source = make_tokenizer(o, sources);
    d.target = make_tokenizer(o, targets);
  } else {   // one model of both sides
    sources.insert(sources.end(), targets.begin(), targets.end());
    d.source = d.target = make_tokenizer(o, sources);
  }
  const auto max = static_cast<size_t>(o.max_len);
  for (int k = 0; k < 3; ++k) {
    for (const auto& r : raw[k]) {
      TokenPair p{d.source->ids(r.fields[0]), d.target->ids(r.fields[1])};
      if (p.source.empty() || p.source.size() > max || p.target.size() + 1 > max) {
        ++d.too_long[k];
        continue;
      }
      d.splits[k].push_back(std::move(p));
    }
    if (d.splits[k].empty())
      throw Error(*files[k].path + ": every pair is longer than task.max_len (" + std::to_string(o.max_len) +
                  " tokens of source, " + std::to_string(o.max_len - 1) + " of target); raise task.max_len");
  }
  return d;
}

std::string describe_seq2seq_data(const Seq2seqData& d, int max_len) {
  std::ostringstream out;
  out << "  data: train " << d.splits[0].size() << ", validation " << d.splits[1].size() << ", test "
      << d.splits[2].size() << " pairs; vocabulary: ";
  if (d.source == d.target) out << vocabulary_line(*d.source) << " (source and target)\n";
  else out << "source " << vocabulary_line(*d.source) << ", target " << vocabulary_line(*d.target) << "\n";
  if (d.too_long[0] + d.too_long[1] + d.too_long[2] > 0)
    out << "  left out: " << d.too_long[0] << " / " << d.too_long[1] << " / " << d.too_long[2]
        << " pairs (train / validation / test) longer than task.max_len (" << max_len << " tokens of source, "
        << max_len - 1 << " of target)\n";
  out << "  tokens read as UNK: validation " << unknown_tokens(d, Split::val) << ", test "
      << unknown_tokens(d, Split::test) << "\n";
  return out.str();
}

LmData read_lm_data(const TaskOptions& o) {
  std::string text[3];
  const auto files = split_files(o);
  if (o.validation.empty()) {
    std::istringstream in(read_text_file(o.train, "task.train", o.max_file_size, "lm"));
    std::string line;
    for (size_t i = 0; std::getline(in, line); ++i) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      text[static_cast<int>(split_of(i))] += line + "\n";
    }
  } else {
    for (int k = 0; k < 3; ++k) text[k] = read_text_file(*files[k].path, files[k].key, o.max_file_size, "lm");
  }
  LmData d;
  d.tokenizer = make_tokenizer(o, {text[0]});
  // A training window reads max_len + 1 tokens (inputs and next tokens) from a random start.
  const auto need = static_cast<size_t>(o.max_len) + 2;
  for (int k = 0; k < 3; ++k) {
    d.tokens[k] = stream_tokens(*d.tokenizer, text[k]);
    d.bytes[k] = text[k].size();
    if (d.tokens[k].size() < need)
      throw Error((o.validation.empty() ? o.train : *files[k].path) + ": the " + to_string(static_cast<Split>(k)) +
                  " split holds " + std::to_string(d.tokens[k].size()) + " tokens, fewer than task.max_len + 2 (" +
                  std::to_string(need) + ")" +
                  (o.validation.empty() ? "; without task.validation and task.test, line i goes to validation when "
                                          "i % 20 == 18 and to test when i % 20 == 19"
                                        : ""));
  }
  return d;
}

std::string describe_lm_data(const LmData& d) {
  std::ostringstream out;
  out << "  data: train " << d.bytes[0] << ", validation " << d.bytes[1] << ", test " << d.bytes[2]
      << " bytes; " << d.tokens[0].size() << " / " << d.tokens[1].size() << " / " << d.tokens[2].size()
      << " tokens; vocabulary: " << vocabulary_line(*d.tokenizer) << "\n"
      << "  tokens read as UNK: validation " << count_unknown(d.tokens[1]) << ", test " << count_unknown(d.tokens[2])
      << "\n";
  return out.str();
}

}  // namespace mctsnas
