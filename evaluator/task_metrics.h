#pragma once
// The metrics each task kind reports for every trial: what objective.metric may
// name, and its default. The one table the config check, `validate`, `search` and
// the LibTorch evaluator read (tests check the evaluators really report them).
#include <string>
#include <vector>

#include "evaluator/task_options.h"

namespace mctsnas {

// Every metric an objective may use, the default first. Empty for kinds whose
// metrics are not fixed ahead (`fault`, the runtime's test evaluator).
std::vector<std::string> objective_metrics(const TaskOptions& task);

// The objective's default: the task's validation metric, or a table's score column.
std::string default_objective_metric(const TaskOptions& task);

// Empty when `metric` is one the task reports; else why not, listing those it does.
std::string objective_metric_problem(const TaskOptions& task, const std::string& metric);

}  // namespace mctsnas
