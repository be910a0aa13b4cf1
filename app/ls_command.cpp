#include "app/ls_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/run_lock.h"
#include "app/run_reader.h"
#include "common/error.h"

namespace fs = std::filesystem;

namespace mctsnas {

namespace {

RunListing listing_of(const fs::path& dir) {
  RunListing l;
  l.dir = (dir.has_filename() || !dir.has_parent_path() ? dir : dir.parent_path()).filename().string();
  try {
    RunData run = read_run(dir, ReadRunOptions{.trials = false});
    const RunSummary& s = run.summary;
    l.name = s.name;
    l.algorithm = s.algorithm;
    // summary.json is rewritten every few minutes; trials.jsonl every trial.
    l.trials_finished = std::max(s.trials_finished, count_trials(dir / "trials.jsonl"));
    l.trials_target = s.trials_target;
    l.metric = s.metric;
    if (s.best) {
      l.best_score = s.best->score;
      l.best_id = s.best->id;
    }
    if (s.pareto) l.front_size = s.pareto->trials.size();
    if (auto pid = RunLock::holder(dir)) {
      l.state = "running (pid " + std::to_string(*pid) + ")";
    } else if (s.state == "finished") {
      l.state = "finished";
    } else if (run.has_checkpoint) {
      l.state = "resumable";
    } else {
      l.state = "interrupted";
    }
  } catch (const Error& e) {
    l.error = e.what();
  }
  return l;
}

std::string fmt_score(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::vector<RunListing> list_runs(const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(root, ec)) throw Error(root.string() + ": no such directory (expected a results root)");
  if (!fs::is_directory(root, ec)) throw Error(root.string() + ": not a directory (expected a results root)");
  std::vector<RunListing> out;
  if (is_run_dir(root)) {
    out.push_back(listing_of(root));
    return out;
  }
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(root, ec))
    if (is_run_dir(entry.path())) dirs.push_back(entry.path());
  if (ec) throw Error(root.string() + ": cannot list: " + ec.message());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) out.push_back(listing_of(d));
  return out;
}

int run_ls(const fs::path& root, std::ostream& out, std::ostream& err) {
  std::vector<RunListing> runs;
  try {
    runs = list_runs(root);
  } catch (const Error& e) {
    err << "mctsnas ls: error: " << e.what() << "\n";
    return 2;
  }
  if (runs.empty()) {
    out << "no runs under " << root.string() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"RUN", "NAME", "ALGORITHM", "TRIALS", "BEST", "FRONT", "STATE"});
  for (const auto& r : runs) {
    if (!r.error.empty()) {
      rows.push_back({r.dir, "-", "-", "-", "-", "-", "unreadable: " + r.error});
      continue;
    }
    std::string trials = std::to_string(r.trials_finished) + "/" +
                         (r.trials_target > 0 ? std::to_string(r.trials_target) : std::string("?"));
    std::string best = "-";
    if (r.best_score) {
      best = (r.metric.empty() ? std::string() : r.metric + "=") + fmt_score(*r.best_score);
      if (r.best_id) best += " (#" + std::to_string(*r.best_id) + ")";
    }
    rows.push_back({r.dir, r.name.empty() ? "-" : r.name, r.algorithm.empty() ? "-" : r.algorithm,
                    trials, best, r.front_size ? std::to_string(*r.front_size) : std::string("-"), r.state});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i + 1 < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
  return 0;
}

void add_ls_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("ls", "List the runs under a results directory");
  auto root = std::make_shared<std::string>("results");
  cmd->add_option("ROOT", *root, "Results directory (default: results/)");
  cmd->callback([root, &code] {
    code = guarded("ls", [&] { return run_ls(*root, std::cout, std::cerr); });
  });
}

}  // namespace mctsnas
