// `mctsnas validate`: everything `search` would refuse, checked without running a
// trial (every key, the space, the search settings, the task's table or dataset,
// the per-trial budget on this machine); then what the run would search. Nothing is
// printed before every check has passed, so "ok" is never followed by an error.
#include <cstdio>
#include <iostream>
#include <utility>

#include "app/commands.h"
#include "app/config_loader.h"
#include "app/preflight.h"
#include "search/searcher_registry.h"
#include "space/search_space.h"

namespace mctsnas {

namespace {

// "about 1.2e+06 (estimated from 2000 random walks)" or "15625".
std::string size_text(const SpaceSize& size) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", size.count);
  std::string s = (size.exact ? "" : "about ") + std::string(buf);
  if (size.walks > 0) s += " (estimated from " + std::to_string(size.walks) + " random walks)";
  return s;
}

std::string bounds_text(const ConstraintOptions& c) {
  char buf[64];
  std::string s;
  for (auto [name, v] : {std::pair{"max_params", c.max_params}, std::pair{"max_flops", c.max_flops}})
    if (v) {
      std::snprintf(buf, sizeof buf, "%.6g", *v);
      s += std::string(s.empty() ? "" : ", ") + name + " " + buf;
    }
  return s;
}

void print_summary(const std::string& config, const RunOptions& o, const CheckedInputs& in, std::ostream& out) {
  const SearchSpace& space = *in.space;
  SpaceSize size = space.size();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", size.count);
  out << config << ": ok\n"
      << "  space: " << space.kind() << ", " << space.num_decisions() << " decisions, "
      << (size.exact ? "" : "about ") << buf << " architectures";
  if (size.distinct_canonical > 0) {
    std::snprintf(buf, sizeof buf, "%.6g", size.distinct_canonical);
    out << " (" << buf << " distinct up to isomorphism)";
  }
  if (in.searched.constrained)
    out << "\n  within objective.constraints (" << bounds_text(o.objective.constraints)
        << "): " << size_text(in.searched.constrained->size()) << " architectures";
  out << "\n  task: " << o.task.kind << ", objective: ";
  if (o.objective.metrics.empty()) out << name_of(o.objective.goal) << " " << o.objective.metric;
  for (size_t i = 0; i < o.objective.metrics.size(); ++i)
    out << (i ? ", " : "Pareto front of ") << name_of(o.objective.goals[i]) << " " << o.objective.metrics[i];
  out << "\n  search: " << o.search.algorithm << ", " << o.search.trials << " trials, " << o.search.parallel
      << " at once\n"
      << in.data_summary;
}

}  // namespace

void add_validate_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("validate", "Check a config as `search` would, without running a trial, and "
                                             "print the size of its search space");
  auto config = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  cmd->add_option("CONFIG", *config, "YAML config file")->required();
  cmd->add_option("--set", *sets, "Override a config key (as for search)");
  auto resolved = std::make_shared<bool>(false);
  cmd->add_flag("--resolved", *resolved,
                "Also print the resolved config: every key with its default filled in (what a run writes to "
                "config.resolved.yaml)");
  cmd->callback([&code, config, sets, resolved] {
    code = guarded("validate", [&] {
      std::vector<ConfigOverride> ov;
      for (const auto& s : *sets) ov.push_back(parse_override(s));
      RunOptions o = load_config(*config, ov);
      const CheckedInputs in = check_run_inputs(o);
      check_run_resources(o);
      print_summary(*config, o, in, std::cout);
      if (*resolved) {
        std::cout << resolved_yaml(o) << "# search.algorithm is one of:\n";
        for (const SearcherInfo* s : searchers()) std::cout << "#   " << s->name << ": " << s->description << "\n";
      }
      return 0;
    });
  });
}

}  // namespace mctsnas
