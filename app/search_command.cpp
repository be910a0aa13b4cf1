// `mctsnas search` and `mctsnas resume`.
#include <unistd.h>

#include <iostream>

#include "app/cli.h"
#include "app/commands.h"
#include "app/config_loader.h"
#include "app/search_run.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strings.h"
#include "runtime/stop_signals.h"
#ifdef MCTSNAS_HAVE_MPI
#include "app/mpi_worker_rank.h"
#endif
#include "space/search_space.h"
#include "space/space_options.h"

namespace mctsnas {
namespace fs = std::filesystem;

namespace {

int run_and_report(SearchRunOptions& o) {
  o.tty = ::isatty(STDOUT_FILENO) != 0;
  o.out = &std::cout;
  o.err = &std::cerr;
  StopSignals::install();
  o.stop = StopSignals::stop_flag();
  o.stop_now = StopSignals::stop_now_flag();
  SearchRunResult r;
  try {
    r = run_search(o);   // announces the run directory once it is set up
  } catch (const IoError& e) {
    // Not bad input: the machine failed the run (disk full). Finished trials are in trials.jsonl.
    std::cerr << "mctsnas " << (o.resume ? "resume" : "search") << ": error: " << e.what() << '\n';
    if (fs::exists(o.run_dir / "tree.ckpt"))
      std::cerr << "nothing finished is lost; free space, then resume with: " << invoked_command() << " resume "
                << o.run_dir.string() << '\n';
    return 1;
  }
  std::cout << (r.finished ? "finished" : "stopped") << ": " << r.trials << " trials in "
            << format_duration(r.wall_seconds)
            << (r.exhausted ? " (the search space is exhausted: no untried architecture is left)" : "") << '\n';
  if (r.best_id)
    std::cout << "best: trial #" << *r.best_id << ", " << o.config.objective.metric << " = " << r.best_score
              << "\n  " << r.best_arch << '\n';
  else
    std::cout << "best: none (no trial produced a score)\n";
  std::cout << "summary: " << (r.run_dir / "summary.json").string() << '\n';
  if (!r.finished) {
    std::string launcher;
#ifdef MCTSNAS_HAVE_MPI
    if (const MpiSession* mpi = MpiSession::current(); mpi && mpi->distributed())
      launcher = "mpirun -np " + std::to_string(mpi->size()) + " ";
#endif
    std::cout << "resume with: " << launcher << invoked_command() << " resume " << r.run_dir.string() << '\n';
    return 1;
  }
  return 0;
}

// Under mpirun every rank runs the command: rank 0 the search (`coordinator`), the
// others serve it. The MPI session ends (MPI_Finalize) after the search has.
int on_every_rank(const std::function<int()>& coordinator) {
#ifdef MCTSNAS_HAVE_MPI
  std::unique_ptr<MpiSession> mpi = MpiSession::start_if_launched();
  if (mpi && mpi->rank() > 0) return run_worker_rank(*mpi);
#endif
  return coordinator();
}

}  // namespace

void add_search_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("search", "Run a search from a YAML config");
  auto config = std::make_shared<std::string>();
  auto run_dir = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  cmd->add_option("CONFIG", *config, "YAML config file")->required();
  cmd->add_option("--run-dir", *run_dir, "Run directory (default: <output.root>/<name>-<time>)");
  cmd->add_option("--set", *sets, "Override a config key: --set search.trials=50 (repeatable)");
  cmd->callback([&code, config, run_dir, sets] {
    code = guarded("search", [&] { return on_every_rank([&] {
      std::vector<ConfigOverride> ov;
      for (const auto& s : *sets) ov.push_back(parse_override(s));
      SearchRunOptions o;
      o.config = load_config(*config, ov);
      make_space(o.config.space);  // validates the space section before any work
      o.resolved_config_yaml = resolved_yaml(o.config);
      o.run_dir = run_dir->empty() ? new_run_dir(o.config.output.root, o.config.name) : fs::path(*run_dir);
      return run_and_report(o);
    }); });
  });
}

void add_resume_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("resume", "Continue a stopped or crashed search from its run directory");
  auto run_dir = std::make_shared<std::string>();
  auto trials = std::make_shared<std::optional<int64_t>>();
  cmd->add_option("RUN_DIR", *run_dir, "Run directory written by `mctsnas search`")->required();
  cmd->add_option("--trials", *trials,
                  "Raise the trial target, at least the trials already finished (default: the config's search.trials)");
  cmd->callback([&code, run_dir, trials] {
    code = guarded("resume", [&] { return on_every_rank([&] {
      fs::path dir(*run_dir);
      if (!fs::is_directory(dir)) throw Error(dir.string() + ": no such run directory");
      fs::path cfg = dir / "config.resolved.yaml";
      if (!fs::exists(cfg)) throw Error(cfg.string() + ": missing (is this a run directory?)");
      SearchRunOptions o;
      o.config = load_config(cfg);
      if (*trials) {
        o.config.search.trials = **trials;
        o.trials_from_flag = true;
      }
      o.run_dir = dir;
      o.resume = true;
      return run_and_report(o);
    }); });
  });
}

}  // namespace mctsnas
