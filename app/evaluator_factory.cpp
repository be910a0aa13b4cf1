#include "app/evaluator_factory.h"

#include "common/error.h"
#include "evaluator/fault_evaluator.h"
#include "evaluator/tabular_evaluator.h"
#include "evaluator/task_dims.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "evaluator/torch/torch_evaluator.h"
#endif

namespace mctsnas {

std::unique_ptr<Evaluator> make_evaluator(const RunOptions& options, const SearchSpace& space) {
  const TaskOptions& task = options.task;
  if (task.kind == "table") {
    TabularOptions t;
    t.path = task.table;
    t.key_column = task.key_column;
    t.score_column = task.score_column;
    if (!task.cost_columns.params.empty()) t.metric_columns.emplace_back("params", task.cost_columns.params);
    if (!task.cost_columns.flops.empty()) t.metric_columns.emplace_back("flops", task.cost_columns.flops);
    return std::make_unique<TabularEvaluator>(space, t);
  }
  if (is_text_task(task.kind)) {
#ifdef MCTSNAS_HAVE_TORCH
    return make_torch_evaluator(space, task, options.train, options.objective, options.seed);
#else
    throw Error("task.kind: '" + task.kind +
                "' trains models with LibTorch, but this mctsnas was built without it "
                "(rebuild with -DMCTSNAS_WITH_TORCH=ON)");
#endif
  }
  if (task.kind == "fault") return std::make_unique<FaultEvaluator>(space);  // tests of the runtime
  throw Error("task.kind: unknown task kind '" + task.kind + "' (expected table, lm, g2p, classify or seq2seq)");
}

bool runs_inline(const RunOptions& options) {
  if (options.resources.isolation == Isolation::in_process) return true;
  if (options.resources.isolation == Isolation::process) return false;
  return options.task.kind == "table";
}

}  // namespace mctsnas
