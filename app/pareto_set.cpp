#include "app/pareto_set.h"

#include <algorithm>
#include <cmath>

#include "common/option_schema.h"

namespace mctsnas {

ParetoSet::ParetoSet(const ObjectiveOptions& objective) : metrics_(objective.metrics), goals_(objective.goals) {}

Objectives ParetoSet::rewards(const Metrics& m) const {
  Objectives out;
  for (size_t i = 0; i < metrics_.size(); ++i) {
    auto it = m.find(metrics_[i]);
    if (it == m.end() || !std::isfinite(it->second)) return {};
    out.push_back(goals_[i] == Goal::minimize ? -it->second : it->second);
  }
  return out;
}

void ParetoSet::add(uint64_t id, const std::string& arch, const Metrics& metrics) {
  Objectives r = rewards(metrics);
  if (r.empty()) return;
  for (const Member& m : members_)
    if (dominates(m.rewards, r)) return;
  std::erase_if(members_, [&](const Member& m) { return dominates(r, m.rewards); });
  Metrics kept;
  for (const auto& name : metrics_) kept[name] = metrics.at(name);
  auto at = std::lower_bound(members_.begin(), members_.end(), id, [](const Member& m, uint64_t v) { return m.id < v; });
  members_.insert(at, Member{id, arch, std::move(r), std::move(kept)});
}

nlohmann::json ParetoSet::to_json() const {
  nlohmann::json goals = nlohmann::json::array();
  for (Goal g : goals_) goals.push_back(std::string(name_of(g)));
  nlohmann::json trials = nlohmann::json::array();
  for (const Member& m : members_) trials.push_back({{"id", m.id}, {"arch", m.arch}, {"metrics", m.metrics}});
  return {{"metrics", metrics_}, {"goals", goals}, {"trials", trials}};
}

}  // namespace mctsnas
