#pragma once
// The Pareto set of a multi-objective run (objective.metrics): the finished trials
// that no other finished trial beats or equals in every metric while beating it in
// one. Kept up to date as trials finish, for summary.json, `ls`, the report and
// `export --pareto`.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evaluator/evaluator.h"
#include "evaluator/task_options.h"
#include "search/pareto.h"

namespace mctsnas {

class ParetoSet {
 public:
  explicit ParetoSet(const ObjectiveOptions& objective);
  // One value per objective metric, higher is better (minimized metrics negated);
  // empty when a metric is missing or not finite.
  Objectives rewards(const Metrics& m) const;
  // A finished trial: joins the set unless a member dominates it; drops the members it dominates.
  void add(uint64_t id, const std::string& arch, const Metrics& metrics);
  size_t size() const { return members_.size(); }
  // {"metrics": [...], "goals": [...], "trials": [{"id", "arch", "metrics": {...}}, ...]}, by id.
  nlohmann::json to_json() const;

 private:
  struct Member {
    uint64_t id;
    std::string arch;
    Objectives rewards;
    Metrics metrics;   // the objective metrics only
  };
  std::vector<std::string> metrics_;
  std::vector<Goal> goals_;
  std::vector<Member> members_;   // ordered by id
};

}  // namespace mctsnas
