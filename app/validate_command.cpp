// `mctsnas validate`: everything `search` would refuse, checked without running a
// trial (every key, the space, the search settings, the task's table or dataset,
// the per-trial budget on this machine); then what the run would search. Nothing is
// printed before every check has passed, so "ok" is never followed by an error.
#include <cstdio>
#include <iostream>

#include "app/commands.h"
#include "app/config_loader.h"
#include "app/preflight.h"
#include "search/searcher_registry.h"
#include "space/search_space.h"

namespace mctsnas {

namespace {

void print_summary(const std::string& config, const RunOptions& o, const SearchSpace& space, std::ostream& out) {
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
  out << "\n  task: " << o.task.kind << ", objective: " << name_of(o.objective.goal) << " " << o.objective.metric
      << "\n  search: " << o.search.algorithm << ", " << o.search.trials << " trials, " << o.search.parallel
      << " at once\n";
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
      auto space = check_run_inputs(o);
      check_run_resources(o);
      print_summary(*config, o, *space, std::cout);
      if (*resolved) {
        std::cout << resolved_yaml(o) << "# search.algorithm is one of:\n";
        for (const SearcherInfo* s : searchers()) std::cout << "#   " << s->name << ": " << s->description << "\n";
      }
      return 0;
    });
  });
}

}  // namespace mctsnas
