#pragma once
// The tokenizer of a user's text, as task.tokenizer says (tokenizer.h). No LibTorch.
#include <memory>
#include <string_view>
#include <vector>

#include "evaluator/task_options.h"
#include "evaluator/tokenizer.h"

namespace mctsnas {

// The file a trained sentencepiece model is kept in: beside a run's config (its
// Evaluator::run_files) and beside an export's model.json.
inline constexpr const char* kTokenizerFile = "tokenizer.model";

// char: a vocabulary of the bytes of `train_texts`. sentencepiece: the user's
// task.sentencepiece.model, else the run's task.tokenizer_cache when it exists, else
// a model trained on the lines of `train_texts` (Evaluator::run_files hands it to the
// run, which writes it there). Error naming the key or file at fault.
std::shared_ptr<const Tokenizer> make_tokenizer(const TaskOptions& task, const std::vector<std::string_view>& train_texts);

}  // namespace mctsnas
