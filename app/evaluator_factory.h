#pragma once
#include <memory>

#include "app/run_options.h"
#include "evaluator/evaluator.h"
#include "space/search_space.h"

namespace mctsnas {

// The evaluator a config asks for (task.kind). Throws Error when it cannot be
// built (missing table, a LibTorch task in a build without LibTorch, ...).
std::unique_ptr<Evaluator> make_evaluator(const RunOptions& options, const SearchSpace& space);

// Whether trials of this config run in-process (tables, fakes) or in workers.
bool runs_inline(const RunOptions& options);

}  // namespace mctsnas
