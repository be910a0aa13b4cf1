#pragma once
// Reads a run directory (results/<name>-<time>/) back into plain structs for the
// report, trials.csv and `mctsnas ls`. Only reads: it never repairs a run.
//
// A bad or missing run directory, or a malformed line, is an Error that names the
// file (and line). One exception: the last line of trials.jsonl may be cut short
// when the process was killed mid-write; it is skipped with a warning.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "evaluator/evaluator.h"

namespace mctsnas {

struct TrialRecord {
  int64_t id = 0;
  std::string arch;              // the space's key string
  std::vector<int> choices;
  std::string canonical;
  TrialStatus status = TrialStatus::ok;
  std::optional<double> score;   // user's metric direction
  std::optional<double> reward;  // higher is better
  std::map<std::string, std::optional<double>> metrics;
  std::string error;
  double seconds = 0;
  nlohmann::json budget;         // kept as written: the report only shows it
  std::string device;
  LearningCurve curve;           // empty when the trial reported none
  double started_at = 0;         // seconds since the run began (trials.jsonl's started_s)
  double finished_at = 0;
  std::string started_utc;       // ISO-8601 (trials.jsonl's started_at; empty in older runs)
  int line = 0;                  // line in trials.jsonl, for messages

  std::optional<double> metric(const std::string& name) const;
};

struct RunBest {
  int64_t id = 0;
  std::string arch;
  std::optional<double> score;
};

struct RunBaseline {
  std::string arch;
  std::optional<double> score;
  std::map<std::string, std::optional<double>> metrics;
};

// A Pareto search's set (summary.json's `pareto`, app/pareto_set.h).
struct RunParetoMember {
  int64_t id = 0;
  std::string arch;
  std::map<std::string, std::optional<double>> metrics;
};
struct RunPareto {
  std::vector<std::string> metrics;
  std::vector<bool> minimize;          // per metric
  std::vector<RunParetoMember> trials; // by id
};

struct RunSummary {
  std::string name;
  std::string algorithm;
  std::string space;
  std::string metric;            // the objective metric
  bool minimize = false;         // objective.goal
  int64_t trials_finished = 0;
  int64_t trials_target = 0;     // 0: unknown
  std::optional<RunBest> best;
  double wall_seconds = 0;
  std::string state;             // running | finished | interrupted
  std::optional<RunBaseline> baseline;
  std::optional<RunPareto> pareto;     // a Pareto search (objective.metrics)
  nlohmann::json baseline_seeds;       // the comparison over seeds (app/seed_comparison.h); null: none
  std::string version;
};

struct RunSearchStats {
  int64_t nodes = 0;
  std::vector<int64_t> visits_by_depth;
  std::vector<std::string> most_visited_path;
};

struct RunData {
  std::filesystem::path dir;
  RunSummary summary;
  bool has_summary = false;      // false: summary.json absent, fields filled from the config/trials
  std::vector<TrialRecord> trials;
  std::optional<RunSearchStats> stats;
  bool has_checkpoint = false;   // tree.ckpt present
  std::vector<std::string> warnings;  // e.g. a truncated last line
};

// True when `dir` looks like a run directory (has summary.json or trials.jsonl).
bool is_run_dir(const std::filesystem::path& dir);

// summary.json; throws Error naming the file and key when malformed.
RunSummary read_summary(const std::filesystem::path& file);
// trials.jsonl; a missing file reads as no trials. Warnings are appended.
std::vector<TrialRecord> read_trials(const std::filesystem::path& file,
                                     std::vector<std::string>* warnings);
// The same from the file's text; `name` (the file) is used in messages.
std::vector<TrialRecord> parse_trials(std::string_view text, const std::string& name,
                                      std::vector<std::string>* warnings);
// Finished trials in trials.jsonl (its complete lines), without parsing them: what
// `ls` shows, current even while the run is live or after it was killed.
int64_t count_trials(const std::filesystem::path& file);
RunSearchStats read_search_stats(const std::filesystem::path& file);

struct ReadRunOptions {
  bool trials = true;            // false: summary only (fast, for `ls`)
};
// Reads the whole run directory. Throws Error when it is missing, is not a
// directory, or is not a run directory.
RunData read_run(const std::filesystem::path& dir, const ReadRunOptions& options = {});

// The status names in a fixed order, for tables and CSV.
const std::vector<TrialStatus>& all_trial_statuses();

}  // namespace mctsnas
