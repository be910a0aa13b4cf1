#include "evaluator/task_metrics.h"

#include <algorithm>

namespace mctsnas {

namespace {

// The task's own quality metrics, without the val_/test_ split prefix, primary first.
// classify also reports f1_<label> per class; those names come from the data, so they
// are not offered as objectives.
std::vector<std::string> quality_metrics(const std::string& kind) {
  if (kind == "lm") return {"bpc"};
  if (kind == "g2p") return {"per", "word_acc"};
  if (kind == "classify") return {"accuracy", "f1"};
  if (kind == "seq2seq") return {"ter", "exact_match"};   // token error rate, whole-sequence match
  return {};
}

}  // namespace

std::vector<std::string> objective_metrics(const TaskOptions& task) {
  if (task.kind == "table") {   // the score column, then the cost columns it names (tabular_evaluator.h)
    std::vector<std::string> out = {task.score_column};
    if (!task.cost_columns.params.empty()) out.push_back("params");
    if (!task.cost_columns.flops.empty()) out.push_back("flops");
    return out;
  }
  const auto quality = quality_metrics(task.kind);
  if (quality.empty()) return {};
  std::vector<std::string> out;
  for (const char* split : {"val_", "test_"})
    for (const auto& q : quality) out.push_back(split + q);
  // Measured by every LibTorch trial before training (torch_evaluator.cpp).
  for (const char* cost : {"params", "flops", "latency_ms_b1", "latency_ms_b32"}) out.push_back(cost);
  return out;
}

std::string default_objective_metric(const TaskOptions& task) {
  const auto all = objective_metrics(task);
  return all.empty() ? std::string() : all.front();
}

std::string objective_metric_problem(const TaskOptions& task, const std::string& metric) {
  const auto all = objective_metrics(task);
  if (all.empty() || std::find(all.begin(), all.end(), metric) != all.end()) return {};
  if (task.kind == "table")
    return "'" + metric + "' is not what this task reports: a task.kind table run scores each trial by its " +
           "task.score_column, '" + task.score_column + "' (set objective.metric to it, or task.score_column " +
           "to the column you mean), and reports params and flops when task.cost_columns names their columns";
  std::string names;
  for (const auto& m : all) names += (names.empty() ? "" : ", ") + m;
  return "'" + metric + "' is not a metric of task.kind " + task.kind + " (it reports: " + names + ")";
}

}  // namespace mctsnas
