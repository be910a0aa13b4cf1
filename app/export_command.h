#pragma once
// `mctsnas export RUN_DIR [--rank K | --pareto] [--out DIR] [--retrain-steps N]`: the K-th best
// ok trial of a run, as files a user takes home, in RUN_DIR/best/ (or DIR):
//   architecture.yaml, cells.dot, cells.svg (when Graphviz `dot` is installed),
//   metrics.json, and for LibTorch tasks the model trained again in this process
//   (trials keep no weights; metrics.json says "retrained": true): weights.pt, model.json, model.py (export_model.h).
// A table run has no model: only the architecture files and metrics are written.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "app/run_options.h"
#include "app/run_reader.h"

namespace CLI {
class App;
}

namespace mctsnas {

struct ExportOptions {
  std::filesystem::path run_dir;
  int rank = 1;                                // 1 = the best ok trial
  std::optional<std::filesystem::path> out;    // default RUN_DIR/best
  std::optional<int64_t> retrain_steps;        // default: the run's train.steps
  bool pareto = false;                         // export the Pareto set instead (run_export_pareto)
};

struct ExportOutcome {
  std::filesystem::path dir;
  int64_t trial_id = 0;
  bool has_model = false;                      // weights + model.py written
};

// The rank-th best (1-based) ok trial with a score, by objective.goal; ties go to
// the earlier trial. Error when there is none or rank is out of range.
const TrialRecord& ranked_trial(const RunData& run, bool minimize, int rank);

// Throws Error on bad input; progress lines go to `out`.
ExportOutcome run_export(const ExportOptions& options, std::ostream& out);
// Every member of a Pareto search's set (summary.json's `pareto`) to
// RUN_DIR/best/pareto/<trial>/ (emptied first), or to OUT/<trial>/ with options.out;
// metrics.json's rank is null. Error for a run without a Pareto set.
std::vector<ExportOutcome> run_export_pareto(const ExportOptions& options, std::ostream& out);

// RUN_DIR/best (checked to hold an exported model) for generate/predict, or with a
// `variant` other than fp32 its compressed copy RUN_DIR/best/compressed/<variant>;
// Error for a table run, a run not exported yet, or a variant not made.
std::filesystem::path exported_model_dir(const std::filesystem::path& run_dir, const std::string& variant = "fp32");

void add_export_command(CLI::App& app, int& code);

}  // namespace mctsnas
