// `mctsnas validate`: checks a config (every key, the space, the task's inputs)
// without running a trial, and prints what the run would search.
#include <cstdio>
#include <iostream>

#include "app/commands.h"
#include "app/config_loader.h"
#include "app/evaluator_factory.h"
#include "search/searcher_registry.h"
#include "space/search_space.h"
#include "space/space_options.h"

namespace mctsnas {

void add_validate_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("validate", "Check a config and print the size of its search space");
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
      auto space = make_space(o.space);
      SpaceSize size = space->size();
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6g", size.count);
      std::cout << *config << ": ok\n"
                << "  space: " << space->kind() << ", " << space->num_decisions() << " decisions, "
                << (size.exact ? "" : "about ") << buf << " architectures";
      if (size.distinct_canonical > 0) {
        std::snprintf(buf, sizeof buf, "%.6g", size.distinct_canonical);
        std::cout << " (" << buf << " distinct up to isomorphism)";
      }
      std::cout << "\n  task: " << o.task.kind << ", objective: " << name_of(o.objective.goal) << " "
                << o.objective.metric << "\n  search: " << o.search.algorithm << ", " << o.search.trials
                << " trials, " << o.search.parallel << " at once\n";
      if (o.task.kind == "table") make_evaluator(o, *space);  // loads and checks the table
      if (*resolved) {
        std::cout << resolved_yaml(o) << "# search.algorithm is one of:\n";
        for (const SearcherInfo* s : searchers()) std::cout << "#   " << s->name << ": " << s->description << "\n";
      }
      return 0;
    });
  });
}

}  // namespace mctsnas
