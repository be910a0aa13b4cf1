#include "app/trial_command.h"

#include <iostream>

#include "app/commands.h"
#include "app/config_loader.h"
#include "app/evaluator_factory.h"
#include "runtime/trial_worker.h"
#include "space/search_space.h"
#include "space/space_options.h"

namespace mctsnas {

void add_trial_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("trial", "Run one trial (started by mctsnas search; reads a request on stdin)");
  cmd->group("");   // an empty group hides it from --help
  auto config = std::make_shared<std::string>();
  auto result_fd = std::make_shared<int>(1);
  cmd->add_option("--config", *config, "The run's resolved config")->required();
  cmd->add_option("--result-fd", *result_fd, "Descriptor for the result line (default: stdout)");
  cmd->callback([&code, config, result_fd] {
    code = guarded("trial", [&] {
      RunOptions o = load_config(*config);
      auto space = make_space(o.space);
      return run_trial_worker([&] { return make_evaluator(o, *space); }, 0, *result_fd);
    });
  });
}

}  // namespace mctsnas
