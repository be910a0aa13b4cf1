#pragma once
// `mctsnas ls [ROOT]`: one line per run directory under ROOT (default results/):
// run, name, algorithm, trials done/target, best score, and state.
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace mctsnas {

struct RunListing {
  std::string dir;          // directory name under ROOT
  std::string name;
  std::string algorithm;
  int64_t trials_finished = 0;
  int64_t trials_target = 0;
  std::string metric;
  std::optional<double> best_score;
  std::optional<int64_t> best_id;
  std::optional<size_t> front_size;   // a Pareto search: members of its Pareto set
  // running (pid N) (a live process holds its run.lock) | finished |
  // resumable (not finished, has tree.ckpt) | interrupted (neither).
  std::string state;
  std::string error;        // non-empty: the directory could not be read
};

// Run directories directly under root (or root itself when it is one), sorted by
// directory name. Throws Error when root is missing or not a directory; a broken
// run directory is listed with its error instead of stopping the listing.
std::vector<RunListing> list_runs(const std::filesystem::path& root);

// Prints the listing as an aligned table. Returns the exit code (2 on bad ROOT).
int run_ls(const std::filesystem::path& root, std::ostream& out, std::ostream& err);

// Adds the `ls` subcommand to the CLI; its callback stores the exit code in `code`.
void add_ls_command(CLI::App& app, int& code);

}  // namespace mctsnas
