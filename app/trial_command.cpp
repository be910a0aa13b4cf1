#include "app/trial_command.h"

#include <unistd.h>

#include <iostream>

#include "app/commands.h"
#include "app/config_loader.h"
#include "app/evaluator_factory.h"
#include "app/run_config.h"
#include "runtime/fork_server.h"
#include "runtime/trial_worker.h"
#include "space/search_space.h"
#include "space/space_options.h"

namespace mctsnas {

void add_trial_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("trial", "Run one trial (started by mctsnas search; reads a request on stdin)");
  cmd->group("");   // an empty group hides it from --help
  auto config = std::make_shared<std::string>();
  auto result_fd = std::make_shared<int>(1);
  auto fork_server = std::make_shared<bool>(false);
  auto control_fd = std::make_shared<int>(-1);
  auto parent_pid = std::make_shared<int>(0);
  cmd->add_option("--config", *config, "The run's resolved config")->required();
  cmd->add_option("--result-fd", *result_fd, "Descriptor for the result line (default: stdout)");
  cmd->add_flag("--fork-server", *fork_server, "Serve trial requests on --control-fd, one forked child each");
  cmd->add_option("--control-fd", *control_fd, "The fork server's control socket");
  cmd->add_option("--parent-pid", *parent_pid, "The search process (the fork server dies with it)");
  cmd->callback([&code, config, result_fd, fork_server, control_fd, parent_pid] {
    code = guarded("trial", [&] {
      if (*fork_server && *control_fd < 0) throw Error("trial --fork-server needs --control-fd");
      RunOptions o = load_resolved_config(*config);
      auto space = make_space(o.space);
      if (*fork_server) {
        // Its stderr is RUN_DIR/logs/fork-server.log; each trial has its own log beside it.
        std::cerr << "mctsnas fork server (pid " << ::getpid() << ") for " << *config
                  << ": loads the evaluator and task data once, then forks one process per trial "
                     "(logs/trial-ID.log); errors of its own follow here\n"
                  << std::flush;
        // The evaluator (task data loaded) is built once here and shared by every
        // forked trial; exec'd workers build theirs after applying the budget.
        return run_fork_server(*control_fd, static_cast<pid_t>(*parent_pid),
                               [&] { return make_evaluator(o, *space); });
      }
      return run_trial_worker([&] { return make_evaluator(o, *space); }, 0, *result_fd);
    });
  });
}

}  // namespace mctsnas
