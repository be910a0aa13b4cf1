#pragma once
// The labelled texts of task.kind classify: the user's train/validation/test files
// (JSONL, CSV or TSV) or, without task.train, the built-in spam data of task.data.
// Labels are strings, numbered in sorted order: a model's output k is labels[k].
// No LibTorch here. Every problem is a one-line mctsnas::Error naming the file (and
// line): a missing field, an empty text or label, a label not in the training file,
// a byte that is not UTF-8, an empty split, a file over task.max_file_size.
#include <memory>
#include <string>
#include <vector>

#include "evaluator/task_options.h"
#include "evaluator/tokenizer.h"
#include "evaluator/torch/text_data.h"

namespace mctsnas::torchnas {

struct ClassifyData {
  std::vector<std::string> labels;         // sorted, at least 2
  std::vector<LabelledText> splits[3];     // by Split; LabelledText::label indexes labels
  std::shared_ptr<const Tokenizer> tokenizer;   // null: the raw bytes (task.tokenizer char)
};

ClassifyData read_classify_data(const TaskOptions& task);

// The per-class metric suffix of each label ("val_f1_<key>"): lower-case letters,
// digits and '_' (every other byte becomes '_'), made unique by appending "_<index>".
std::vector<std::string> label_metric_keys(const std::vector<std::string>& labels);

// task.class_weights: balanced: class c's weight n / (classes * n_c) over the n
// training examples (scikit-learn's "balanced"), so the weights average 1 per example.
std::vector<double> balanced_class_weights(const ClassifyData& data);

// `validate`'s lines on the data: the size of each split, and each label's count.
std::string describe_classify_data(const ClassifyData& data);

}  // namespace mctsnas::torchnas
