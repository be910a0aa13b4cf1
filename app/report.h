#pragma once
// report.html: one self-contained page about a run (inline SVG, no scripts, no
// network): best score vs trials and vs wall time, the trials' learning curves,
// score vs parameters and vs latency with the Pareto front and the Pareto set as
// tables, status counts, the top 10 trials, the best trial's cells (drawn from the
// run's space by Graphviz, or as DOT text), tree statistics and the baseline's score. The page is well-formed XML as well as
// HTML, so a strict XML parser can check it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/run_reader.h"

namespace mctsnas {

struct ReportOptions {
  // Graphviz program that draws the best trial's cells; empty: never run it (the
  // page shows the DOT text).
  std::string dot_program = "dot";
  double dot_timeout_seconds = 20;
};

// The page for a run already read.
std::string render_report(const RunData& run, const ReportOptions& options = {});

// Reads RUN_DIR and writes RUN_DIR/report.html atomically (a browser that reloads
// while `search` refreshes it sees the old page or the new one). Returns the path.
std::filesystem::path write_report(const std::filesystem::path& run_dir, const ReportOptions& options);
void write_report(const std::filesystem::path& run_dir);

// Exposed for tests. Index of each point on the Pareto front of (cost, score):
// lower cost is better, and score is better when lower if minimize_score. A point is
// on the front when no other point is at least as good in both and better in one.
// Returned in increasing cost.
std::vector<size_t> pareto_front(const std::vector<double>& cost, const std::vector<double>& score,
                                 bool minimize_score);
// The best score among ok trials up to and including each trial (file order).
std::vector<std::optional<double>> best_so_far(const std::vector<TrialRecord>& trials, bool minimize);

}  // namespace mctsnas
