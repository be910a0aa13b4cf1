#pragma once
// A user's own files for the text tasks, read and checked without LibTorch, so that
// `validate`, the cost model (task_dims.h) and the LibTorch tasks read them alike:
//   classify  labelled texts (the records; evaluator/torch/classify_data.h numbers them)
//   seq2seq   source/target pairs, tokenized as task.tokenizer says (text_tokenizer.h)
//   lm        plain UTF-8 text, tokenized likewise
// Every problem is a one-line mctsnas::Error naming the file (and line).
#include <memory>
#include <string>
#include <vector>

#include "evaluator/tokenizer.h"
#include "evaluator/data_split.h"
#include "evaluator/task_options.h"
#include "evaluator/text_records.h"

namespace mctsnas {

// classify's record fields: task.text_field, then task.label_field.
std::vector<RecordField> classify_fields(const TaskOptions& task);
// The labels of training records read with classify_fields, sorted; Error unless at least 2.
std::vector<std::string> classify_labels(const std::vector<TextRecord>& train, const std::string& path);
// How many labels task.train holds (the classifier's outputs), and the size of the
// vocabulary its texts are read with: 257 bytes with task.tokenizer char.
struct ClassifySizes {
  int64_t labels, vocab;
};
ClassifySizes classify_sizes(const TaskOptions& task);
// classify's tokenizer: null for char (the texts are read as raw bytes, 1 + byte),
// else the sentencepiece model of the training texts.
std::shared_ptr<const Tokenizer> classify_tokenizer(const TaskOptions& task, const std::vector<TextRecord>& train);

// "N bytes of train" (char) or "N sentencepiece ids": `validate`'s vocabulary size.
std::string vocabulary_line(const Tokenizer& tokenizer);

struct TokenPair {
  std::vector<int64_t> source, target;
};
struct Seq2seqData {
  std::vector<TokenPair> splits[3];        // by Split
  // Pairs left out of each split, as G2P leaves out long words: a source of more than
  // task.max_len tokens or a target of more than task.max_len - 1 (EOS takes one position).
  size_t too_long[3] = {0, 0, 0};
  // char: the bytes of the training sources and of the training targets; sentencepiece:
  // one model of both sides (source == target).
  std::shared_ptr<const Tokenizer> source, target;
};
// task.train, task.validation and task.test (JSONL, CSV or TSV; task.source_field and
// task.target_field).
Seq2seqData read_seq2seq_data(const TaskOptions& task);
// `validate`'s lines: split sizes, vocabularies, pairs left out, tokens read as UNK.
std::string describe_seq2seq_data(const Seq2seqData& data, int max_len);

struct LmData {
  std::vector<int32_t> tokens[3];   // by Split: Tokenizer::stream_ids of its text
  size_t bytes[3] = {0, 0, 0};      // the text's length, for bits per byte
  std::shared_ptr<const Tokenizer> tokenizer;   // of text[train]
};
// task.train, and task.validation and task.test when given; else line i of task.train
// (from 0, each with its newline) goes to split_of(i). Error when a split holds fewer
// than task.max_len + 2 tokens.
LmData read_lm_data(const TaskOptions& task);
std::string describe_lm_data(const LmData& data);

}  // namespace mctsnas
