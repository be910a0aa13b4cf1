#include "evaluator/user_text_data.h"

#include <array>
#include <set>
#include <sstream>

#include "common/error.h"

namespace mctsnas {
namespace {

struct SplitFile {
  const std::string* path;
  const char* key;
};

std::array<SplitFile, 3> split_files(const TaskOptions& o) {
  return {SplitFile{&o.train, "task.train"}, {&o.validation, "task.validation"}, {&o.test, "task.test"}};
}

// "N source / M target bytes" of a split that the vocabularies lack.
std::string unknown_bytes(const Seq2seqData& d, Split s) {
  size_t src = 0, tgt = 0;
  for (const auto& p : d.splits[static_cast<int>(s)]) {
    src += d.source_vocab.unknown(p.source);
    tgt += d.target_vocab.unknown(p.target);
  }
  return std::to_string(src) + " source / " + std::to_string(tgt) + " target";
}

}  // namespace

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

int64_t classify_label_count(const TaskOptions& o) {
  const auto train = read_text_records(o.train, "task.train", classify_fields(o), o.max_file_size, "classify");
  return static_cast<int64_t>(classify_labels(train, o.train).size());
}

Seq2seqData read_seq2seq_data(const TaskOptions& o) {
  const std::vector<RecordField> fields = {{o.source_field, "task.source_field", "source", false},
                                           {o.target_field, "task.target_field", "target", false}};
  const auto max = static_cast<size_t>(o.max_len);
  Seq2seqData d;
  const auto files = split_files(o);
  for (int k = 0; k < 3; ++k) {
    for (auto& r : read_text_records(*files[k].path, files[k].key, fields, o.max_file_size, "seq2seq")) {
      if (r.fields[0].size() > max || r.fields[1].size() + 1 > max) {
        ++d.too_long[k];
        continue;
      }
      if (k == static_cast<int>(Split::train)) {
        d.source_vocab.learn(r.fields[0]);
        d.target_vocab.learn(r.fields[1]);
      }
      d.splits[k].push_back({std::move(r.fields[0]), std::move(r.fields[1])});
    }
    if (d.splits[k].empty())
      throw Error(*files[k].path + ": every pair is longer than task.max_len (" + std::to_string(o.max_len) +
                  " bytes of source, " + std::to_string(o.max_len - 1) + " of target); raise task.max_len");
  }
  return d;
}

std::string describe_seq2seq_data(const Seq2seqData& d, int max_len) {
  std::ostringstream out;
  out << "  data: train " << d.splits[0].size() << ", validation " << d.splits[1].size() << ", test "
      << d.splits[2].size() << " pairs; vocabulary (bytes of train): source " << d.source_vocab.bytes().size()
      << ", target " << d.target_vocab.bytes().size() << "\n";
  if (d.too_long[0] + d.too_long[1] + d.too_long[2] > 0)
    out << "  left out: " << d.too_long[0] << " / " << d.too_long[1] << " / " << d.too_long[2]
        << " pairs (train / validation / test) longer than task.max_len (" << max_len << " bytes of source, "
        << max_len - 1 << " of target)\n";
  out << "  bytes never seen in train, read as UNK: validation " << unknown_bytes(d, Split::val) << ", test "
      << unknown_bytes(d, Split::test) << "\n";
  return out.str();
}

LmData read_lm_data(const TaskOptions& o) {
  LmData d;
  const auto files = split_files(o);
  if (o.validation.empty()) {
    std::istringstream in(read_text_file(o.train, "task.train", o.max_file_size, "lm"));
    std::string line;
    for (size_t i = 0; std::getline(in, line); ++i) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      d.text[static_cast<int>(split_of(i))] += line + "\n";
    }
  } else {
    for (int k = 0; k < 3; ++k) d.text[k] = read_text_file(*files[k].path, files[k].key, o.max_file_size, "lm");
  }
  // A training window reads max_len + 1 bytes (inputs and next bytes) from a random start.
  const auto need = static_cast<size_t>(o.max_len) + 2;
  for (int k = 0; k < 3; ++k)
    if (d.text[k].size() < need)
      throw Error((o.validation.empty() ? o.train : *files[k].path) + ": the " + to_string(static_cast<Split>(k)) +
                  " split holds " + std::to_string(d.text[k].size()) + " bytes, fewer than task.max_len + 2 (" +
                  std::to_string(need) + ")" +
                  (o.validation.empty() ? "; without task.validation and task.test, line i goes to validation when "
                                          "i % 20 == 18 and to test when i % 20 == 19"
                                        : ""));
  d.vocab.learn(d.text[0]);
  return d;
}

std::string describe_lm_data(const LmData& d) {
  std::ostringstream out;
  out << "  data: train " << d.text[0].size() << ", validation " << d.text[1].size() << ", test " << d.text[2].size()
      << " bytes; vocabulary (bytes of train): " << d.vocab.bytes().size() << "\n"
      << "  bytes never seen in train, read as UNK: validation " << d.vocab.unknown(d.text[1]) << ", test "
      << d.vocab.unknown(d.text[2]) << "\n";
  return out.str();
}

}  // namespace mctsnas
