#pragma once
// The vocabularies and lengths of each text task's models: the one table the LibTorch
// tasks build their models from (TextTask::shape, flop_lengths) and the cells space's
// cost model counts with (space/cell_cost.h). On a user's files the vocabularies (and
// classify's label count) come from the training split, so task_model_dims reads it;
// a task that has read its data already passes the sizes to the *_dims functions.
#include <optional>
#include <string>

#include "evaluator/task_options.h"
#include "space/cell_cost.h"

namespace mctsnas {

// The task kinds that train a LibTorch model: lm, g2p, classify, seq2seq.
bool is_text_task(const std::string& kind);

// nullopt for task kinds that build no model (table, fault). Error for a user data
// file that cannot be read.
std::optional<ModelDims> task_model_dims(const TaskOptions& task);

ModelDims lm_dims(const TaskOptions& task, int64_t vocab);
// vocab: 257 (1 + byte) with task.tokenizer char, else the tokenizer's size.
ModelDims classify_dims(const TaskOptions& task, int64_t classes, int64_t vocab);
ModelDims seq2seq_dims(const TaskOptions& task, int64_t src_vocab, int64_t tgt_vocab);

}  // namespace mctsnas
