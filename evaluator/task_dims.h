#pragma once
// The vocabularies and lengths of each text task's models: the one table the LibTorch
// tasks build their models from (TextTask::shape, flop_lengths) and the cells space's
// cost model counts with (space/cell_cost.h).
#include <optional>

#include "evaluator/task_options.h"
#include "space/cell_cost.h"

namespace mctsnas {

// nullopt for task kinds that build no model (table, fault).
std::optional<ModelDims> task_model_dims(const TaskOptions& task);

}  // namespace mctsnas
