#pragma once
// A user's own files for the text tasks, read and checked without LibTorch, so that
// `validate`, the cost model (task_dims.h) and the LibTorch tasks read them alike:
//   classify  labelled texts (the records; evaluator/torch/classify_data.h numbers them)
//   seq2seq   source/target pairs, char-tokenized (char_vocab.h)
//   lm        plain UTF-8 text, char-tokenized
// Every problem is a one-line mctsnas::Error naming the file (and line).
#include <string>
#include <vector>

#include "evaluator/char_vocab.h"
#include "evaluator/data_split.h"
#include "evaluator/task_options.h"
#include "evaluator/text_records.h"

namespace mctsnas {

// classify's record fields: task.text_field, then task.label_field.
std::vector<RecordField> classify_fields(const TaskOptions& task);
// The labels of training records read with classify_fields, sorted; Error unless at least 2.
std::vector<std::string> classify_labels(const std::vector<TextRecord>& train, const std::string& path);
// How many labels task.train holds: the classifier's outputs.
int64_t classify_label_count(const TaskOptions& task);

struct TextPair {
  std::string source, target;
};
struct Seq2seqData {
  std::vector<TextPair> splits[3];         // by Split
  // Pairs left out of each split, as G2P leaves out long words: a source of more than
  // task.max_len bytes or a target of more than task.max_len - 1 (EOS takes one position).
  size_t too_long[3] = {0, 0, 0};
  CharVocab source_vocab, target_vocab;    // the bytes of the training pairs kept
};
// task.train, task.validation and task.test (JSONL, CSV or TSV; task.source_field and
// task.target_field).
Seq2seqData read_seq2seq_data(const TaskOptions& task);
// `validate`'s lines: split sizes, vocabularies, pairs left out, bytes read as UNK.
std::string describe_seq2seq_data(const Seq2seqData& data, int max_len);

struct LmData {
  std::string text[3];   // by Split
  CharVocab vocab;       // the bytes of text[train]
};
// task.train, and task.validation and task.test when given; else line i of task.train
// (from 0, each with its newline) goes to split_of(i).
LmData read_lm_data(const TaskOptions& task);
std::string describe_lm_data(const LmData& data);

}  // namespace mctsnas
