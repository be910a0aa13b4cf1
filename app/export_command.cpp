#include "app/export_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/graphviz.h"
#include "app/run_config.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_manifest.h"
#include "common/rng.h"
#include "evaluator/task_dims.h"
#include "space/arch_io.h"
#include "space/cell_space.h"
#include "space/space_options.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "evaluator/torch/export_model.h"
#endif

namespace mctsnas {
namespace fs = std::filesystem;
namespace {

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

// What one export works from: the run, its config and space, the chosen trial.
struct ExportJob {
  RunData run;
  RunOptions config;
  std::unique_ptr<SearchSpace> space;
  const TrialRecord* trial = nullptr;
  Architecture arch;
  bool minimize = true;
  std::string metric;
  fs::path dir;
};

// The run, its config and space: what every export of a run shares.
ExportJob open_export(const ExportOptions& o) {
  if (o.retrain_steps && *o.retrain_steps < 1)
    throw Error("--retrain-steps must be >= 1, got " + std::to_string(*o.retrain_steps));
  ExportJob job;
  job.run = read_run(o.run_dir);
  job.config = load_run_config(o.run_dir);
  job.minimize = job.run.has_summary ? job.run.summary.minimize : job.config.objective.goal == Goal::minimize;
  job.space = make_space(job.config.space);
  if (o.retrain_steps && !is_text_task(job.config.task.kind))
    throw Error("--retrain-steps: task.kind " + job.config.task.kind + " trains no model (only lm, g2p, classify and seq2seq do)");
  job.metric = job.run.summary.metric.empty() ? job.config.objective.metric : job.run.summary.metric;
  return job;
}

// Points the job at one trial and the directory it goes to (created; its compressed
// variants, which belong to the model this export replaces, removed).
void choose_trial(ExportJob& job, const TrialRecord& trial, const fs::path& dir) {
  job.trial = &trial;
  job.arch = trial_architecture(*job.space, trial,
                                (job.run.dir / "trials.jsonl").string() + ":" + std::to_string(trial.line));
  job.dir = dir;
  std::error_code ec;
  fs::create_directories(job.dir, ec);
  if (ec) throw Error("cannot create " + job.dir.string() + ": " + ec.message());
  fs::remove_all(job.dir / "compressed", ec);
}

// architecture.yaml, cells.dot and, when Graphviz can draw it, cells.svg.
void write_architecture_files(const ExportJob& job, std::ostream& out) {
  write_file_atomically(job.dir / "architecture.yaml", arch_to_yaml(*job.space, job.arch));
  const std::string dot = to_dot(*job.space, job.arch);
  write_file_atomically(job.dir / "cells.dot", dot);
  const SvgDrawing svg = render_dot_svg(dot);
  if (svg.problem.empty()) {
    write_file_atomically(job.dir / "cells.svg", svg.svg);
  } else {
    std::error_code ec;
    fs::remove(job.dir / "cells.svg", ec);   // not an older drawing of another trial
    out << svg.problem << ": no cells.svg\n";
  }
}

nlohmann::json trial_json(const ExportJob& job, std::optional<int> rank) {
  nlohmann::json tm = nlohmann::json::object();
  for (const auto& [k, v] : job.trial->metrics) tm[k] = optional_number(v);
  return {{"id", job.trial->id},       {"rank", rank ? nlohmann::json(*rank) : nlohmann::json()},
          {"arch", job.trial->arch},   {"metric", job.metric},
          {"goal", job.minimize ? "minimize" : "maximize"},
          {"score", *job.trial->score}, {"metrics", tm}};
}

// The model, trained again in this process (trials keep no weights): weights.pt,
// model.json and model.py. Returns metrics.json's "export" entry.
nlohmann::json export_model(const ExportJob& job, const ExportOptions& o, std::ostream& out) {
#ifdef MCTSNAS_HAVE_TORCH
  const auto* cells = dynamic_cast<const CellSpace*>(job.space.get());
  if (!cells)
    throw Error("task.kind " + job.config.task.kind + " needs space.kind: cells, the run has " + job.space->kind());
  torchnas::ExportTraining how;
  how.task = job.config.task;
  how.train = job.config.train;
  if (o.retrain_steps) how.train.steps = *o.retrain_steps;
  // TorchEvaluator::evaluate's trial seed: the export starts where the trial did.
  how.seed = hash_combine(job.config.seed, exact_hash(job.arch.choices));
  auto r = torchnas::train_and_export(cells->decode(job.arch), how, job.dir, &out);
  if (r.metrics.count(job.metric))
    out << "retrained: " << job.metric << " " << r.metrics[job.metric] << " (the trial scored " << *job.trial->score
        << ")\n";
  nlohmann::json entry = {{"steps", how.train.steps},
                          {"retrained", true},
                          {"steps_from", o.retrain_steps ? "--retrain-steps" : "train.steps"},
                          {"seed", how.seed},
                          {"device", r.device},
                          {"metrics", r.metrics}};
  if (!r.confusion.is_null()) entry["confusion"] = r.confusion;
  return entry;
#else
  (void)o;
  (void)out;
  throw Error("task.kind " + job.config.task.kind +
              ": exporting its model needs LibTorch, and this mctsnas was built without it "
              "(rebuild with -DMCTSNAS_WITH_TORCH=ON)");
#endif
}

nlohmann::json table_note(const ExportJob& job, std::ostream& out) {
  out << "table task: no model to export; wrote the architecture files and metrics only\n";
  return {{"model", nullptr},
          {"retrained", false},
          {"note", "task.kind " + job.config.task.kind + ": scores come from a table; there is no model "
                   "to train, so only the architecture files and metrics are exported"}};
}

void list_written(const fs::path& dir, std::ostream& out) {
  std::vector<fs::path> written;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) written.push_back(e.path());
  std::sort(written.begin(), written.end());
  for (const auto& p : written) out << "wrote " << p.string() << "\n";
}

}  // namespace

const TrialRecord& ranked_trial(const RunData& run, bool minimize, int rank) {
  std::vector<const TrialRecord*> ok;
  for (const auto& t : run.trials)
    if (t.status == TrialStatus::ok && t.score) ok.push_back(&t);
  if (ok.empty())
    throw Error((run.dir / "trials.jsonl").string() + ": no trial finished ok: nothing to export");
  if (rank < 1 || rank > static_cast<int>(ok.size()))
    throw Error("--rank " + std::to_string(rank) + ": the run has " + std::to_string(ok.size()) +
                " ok trial(s); expected 1.." + std::to_string(ok.size()));
  std::stable_sort(ok.begin(), ok.end(), [&](const TrialRecord* a, const TrialRecord* b) {
    if (*a->score != *b->score) return minimize ? *a->score < *b->score : *a->score > *b->score;
    return a->id < b->id;
  });
  return *ok[static_cast<size_t>(rank - 1)];
}

ExportOutcome export_trial(const ExportJob& job, const ExportOptions& o, std::optional<int> rank, std::ostream& out) {
  out << "exporting trial " << job.trial->id << " (" << (rank ? "rank " + std::to_string(*rank) : "Pareto set")
      << ", " << job.metric << " " << *job.trial->score << ") to " << job.dir.string() << "\n";
  write_architecture_files(job, out);
  ExportOutcome res{job.dir, job.trial->id, is_text_task(job.config.task.kind)};
  nlohmann::json metrics;
  metrics["trial"] = trial_json(job, rank);
  metrics["export"] = res.has_model ? export_model(job, o, out) : table_note(job, out);
  write_file_atomically(job.dir / "metrics.json", metrics.dump(2) + "\n");
  write_manifest(job.dir);   // sizes and CRC-32 of every file, checked when they are read back
  list_written(job.dir, out);
  return res;
}

ExportOutcome run_export(const ExportOptions& o, std::ostream& out) {
  ExportJob job = open_export(o);
  choose_trial(job, ranked_trial(job.run, job.minimize, o.rank), o.out ? *o.out : o.run_dir / "best");
  return export_trial(job, o, o.rank, out);
}

std::vector<ExportOutcome> run_export_pareto(const ExportOptions& o, std::ostream& out) {
  ExportJob job = open_export(o);
  const std::string summary = (o.run_dir / "summary.json").string();
  if (!job.run.summary.pareto)
    throw Error(summary + ": no Pareto set: --pareto exports the set of a search with objective.metrics (two or more); "
                          "this run optimized " + job.metric + " alone (export its best without --pareto)");
  std::map<int64_t, const TrialRecord*> by_id;
  for (const auto& t : job.run.trials) by_id[t.id] = &t;
  const fs::path root = o.out ? *o.out : o.run_dir / "best" / "pareto";
  std::error_code ec;
  if (!o.out) fs::remove_all(root, ec);   // members of an older front; a user's --out is never emptied
  std::vector<ExportOutcome> done;
  for (const auto& m : job.run.summary.pareto->trials) {
    auto it = by_id.find(m.id);
    if (it == by_id.end() || it->second->status != TrialStatus::ok || !it->second->score)
      throw Error(summary + ": pareto.trials lists trial " + std::to_string(m.id) +
                  ", which trials.jsonl has not as an ok trial");
    choose_trial(job, *it->second, root / std::to_string(m.id));
    done.push_back(export_trial(job, o, std::nullopt, out));
  }
  out << "exported the Pareto set: " << done.size() << " trial(s) in " << root.string() << "\n";
  return done;
}

fs::path exported_model_dir(const fs::path& run_dir, const std::string& variant) {
  read_run(run_dir, ReadRunOptions{.trials = false});   // Error when it is not a run directory
  const RunOptions config = load_run_config(run_dir);
  if (!is_text_task(config.task.kind))
    throw Error(run_dir.string() + ": a task.kind " + config.task.kind +
                " run has no model to run (generate and predict need an lm, g2p, classify or seq2seq run)");
  const fs::path best = run_dir / "best";
  if (!fs::exists(best / "model.json") || !fs::exists(best / "weights.pt"))
    throw Error((best / "model.json").string() + ": missing: export the model first (mctsnas export " +
                run_dir.string() + ")");
  if (variant == "fp32") return best;
  const fs::path dir = best / "compressed" / variant;
  if (variant.empty() || variant.find('/') != std::string::npos || !fs::exists(dir / "model.json")) {
    std::string have;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(best / "compressed", ec))
      if (fs::exists(e.path() / "model.json")) have += (have.empty() ? "" : ", ") + e.path().filename().string();
    throw Error("--variant '" + variant + "': no such compressed model in " + (best / "compressed").string() +
                " (it has: fp32" + (have.empty() ? "" : ", " + have) + "; make int8 with mctsnas compress " +
                run_dir.string() + ")");
  }
  return dir;
}

void add_export_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("export", "Export the best (or K-th best) trial of a run: architecture, "
                                           "graph, metrics and, for LibTorch tasks, weights and a PyTorch model.py");
  auto o = std::make_shared<ExportOptions>();
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto steps = std::make_shared<int64_t>(0);
  cmd->add_option("RUN_DIR", *dir, "Run directory, e.g. results/<name>-<time>")->required();
  auto* rank_opt = cmd->add_option("--rank", o->rank, "Export the K-th best ok trial (1 = best)")->default_val(1);
  auto* pareto = cmd->add_flag("--pareto", o->pareto,
                               "Export every trial of the run's Pareto set (objective.metrics) to "
                               "RUN_DIR/best/pareto/<trial>/ (or DIR/<trial>/ with --out)");
  pareto->excludes(rank_opt);
  auto* out_opt = cmd->add_option("--out", *out, "Output directory (default RUN_DIR/best)");
  auto* steps_opt = cmd->add_option("--retrain-steps", *steps,
                                    "Train this many steps on the training split (default: the run's train.steps)");
  cmd->callback([=, &code] {
    code = guarded("export", [&] {
      o->run_dir = *dir;
      if (out_opt->count()) o->out = fs::path(*out);
      if (steps_opt->count()) o->retrain_steps = *steps;
      if (o->pareto)
        run_export_pareto(*o, std::cout);
      else
        run_export(*o, std::cout);
      return 0;
    });
  });
}

}  // namespace mctsnas
