#include "app/export_command.h"

#include <CLI/CLI.hpp>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/config_loader.h"
#include "common/error.h"
#include "common/rng.h"
#include "space/arch_io.h"
#include "space/cell_space.h"
#include "space/space_options.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "evaluator/torch/export_model.h"
#endif

extern char** environ;

namespace mctsnas {
namespace fs = std::filesystem;
namespace {

bool is_torch_task(const std::string& kind) { return kind == "lm" || kind == "g2p" || kind == "classify"; }

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  out.flush();
  if (!out) throw Error("cannot write " + p.string());
}

// Renders DOT to SVG with Graphviz when it is installed. Returns what happened, for the output.
std::string render_svg(const fs::path& dot_file, const fs::path& svg_file) {
  const std::string in = dot_file.string(), out = "-o" + svg_file.string();
  std::vector<char*> argv = {const_cast<char*>("dot"), const_cast<char*>("-Tsvg"), const_cast<char*>(in.c_str()),
                             const_cast<char*>(out.c_str()), nullptr};
  pid_t pid = 0;
  if (posix_spawnp(&pid, "dot", nullptr, nullptr, argv.data(), environ) != 0)
    return "Graphviz `dot` is not installed: no cells.svg (apt install graphviz)";
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::error_code ec;
    fs::remove(svg_file, ec);
    return "Graphviz `dot` failed on " + in + ": no cells.svg";
  }
  return "";
}

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

}  // namespace

RunOptions load_run_config(const fs::path& run_dir) {
  const auto file = run_dir / "config.resolved.yaml";
  if (!fs::exists(file)) throw Error(file.string() + ": missing: not a complete run directory");
  return load_config(file);
}

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

ExportOutcome run_export(const ExportOptions& o, std::ostream& out) {
  if (o.retrain_steps && *o.retrain_steps < 1)
    throw Error("--retrain-steps must be >= 1, got " + std::to_string(*o.retrain_steps));
  RunData run = read_run(o.run_dir);
  const RunOptions config = load_run_config(o.run_dir);
  const bool minimize = run.has_summary ? run.summary.minimize : config.objective.goal == Goal::minimize;
  const TrialRecord& trial = ranked_trial(run, minimize, o.rank);
  const std::string where = (o.run_dir / "trials.jsonl").string() + ":" + std::to_string(trial.line);

  auto space = make_space(config.space);
  Architecture arch;
  arch.choices.assign(trial.choices.begin(), trial.choices.end());
  if (!space->is_legal(arch)) {
    auto parsed = space->parse_key(trial.arch);
    if (!parsed) throw Error(where + ": trial " + std::to_string(trial.id) + "'s architecture is not in the run's space");
    arch = *parsed;
  }
  if (o.retrain_steps && !is_torch_task(config.task.kind))
    throw Error("--retrain-steps: task.kind " + config.task.kind + " trains no model (only lm, g2p and classify do)");
  const std::string metric_name = run.summary.metric.empty() ? config.objective.metric : run.summary.metric;

  const fs::path dir = o.out ? *o.out : o.run_dir / "best";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());

  out << "exporting trial " << trial.id << " (rank " << o.rank << ", " << metric_name << " "
      << *trial.score << ") to " << dir.string() << "\n";
  write_file(dir / "architecture.yaml", arch_to_yaml(*space, arch));
  write_file(dir / "cells.dot", to_dot(*space, arch));
  const std::string svg_note = render_svg(dir / "cells.dot", dir / "cells.svg");
  if (!svg_note.empty()) out << svg_note << "\n";

  nlohmann::json metrics;
  nlohmann::json tm = nlohmann::json::object();
  for (const auto& [k, v] : trial.metrics) tm[k] = optional_number(v);
  metrics["trial"] = {{"id", trial.id},
                      {"rank", o.rank},
                      {"arch", trial.arch},
                      {"metric", metric_name},
                      {"goal", minimize ? "minimize" : "maximize"},
                      {"score", *trial.score},
                      {"metrics", tm}};

  ExportOutcome res;
  res.dir = dir;
  res.trial_id = trial.id;
  if (is_torch_task(config.task.kind)) {
#ifdef MCTSNAS_HAVE_TORCH
    const auto* cells = dynamic_cast<const CellSpace*>(space.get());
    if (!cells) throw Error("task.kind " + config.task.kind + " needs space.kind: cells, the run has " + space->kind());
    torchnas::ExportTraining how;
    how.task = config.task;
    how.train = config.train;
    if (o.retrain_steps) how.train.steps = *o.retrain_steps;
    // TorchEvaluator::evaluate's trial seed: the export starts where the trial did.
    how.seed = hash_combine(config.seed, exact_hash(arch.choices));
    auto r = torchnas::train_and_export(cells->decode(arch), how, dir, &out);
    metrics["export"] = {{"steps", how.train.steps},
                         {"retrained", o.retrain_steps.has_value()},
                         {"seed", how.seed},
                         {"device", r.device},
                         {"metrics", r.metrics}};
    res.has_model = true;
    if (r.metrics.count(metric_name))
      out << "retrained: " << metric_name << " " << r.metrics[metric_name] << " (the trial scored " << *trial.score << ")\n";
#else
    throw Error("task.kind " + config.task.kind +
                ": exporting its model needs LibTorch, and this mctsnas was built without it "
                "(rebuild with -DMCTSNAS_WITH_TORCH=ON)");
#endif
  } else {
    metrics["export"] = {{"model", nullptr},
                         {"note", "task.kind " + config.task.kind + ": scores come from a table; there is no model "
                                  "to train, so only the architecture files and metrics are exported"}};
    out << "table task: no model to export; wrote the architecture files and metrics only\n";
  }
  write_file(dir / "metrics.json", metrics.dump(2) + "\n");
  std::vector<fs::path> written;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) written.push_back(e.path());
  std::sort(written.begin(), written.end());
  for (const auto& p : written) out << "wrote " << p.string() << "\n";
  return res;
}

fs::path exported_model_dir(const fs::path& run_dir) {
  read_run(run_dir, ReadRunOptions{.trials = false});   // Error when it is not a run directory
  const RunOptions config = load_run_config(run_dir);
  if (!is_torch_task(config.task.kind))
    throw Error(run_dir.string() + ": a task.kind " + config.task.kind +
                " run has no model to run (generate and predict need an lm, g2p or classify run)");
  const fs::path best = run_dir / "best";
  if (!fs::exists(best / "model.json") || !fs::exists(best / "weights.pt"))
    throw Error((best / "model.json").string() + ": missing: export the model first (mctsnas export " +
                run_dir.string() + ")");
  return best;
}

void add_export_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("export", "Export the best (or K-th best) trial of a run: architecture, "
                                           "graph, metrics and, for LibTorch tasks, weights and a PyTorch model.py");
  auto o = std::make_shared<ExportOptions>();
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto steps = std::make_shared<int64_t>(0);
  cmd->add_option("RUN_DIR", *dir, "Run directory, e.g. results/<name>-<time>")->required();
  cmd->add_option("--rank", o->rank, "Export the K-th best ok trial (1 = best)")->default_val(1);
  auto* out_opt = cmd->add_option("--out", *out, "Output directory (default RUN_DIR/best)");
  auto* steps_opt = cmd->add_option("--retrain-steps", *steps,
                                    "Train this many steps on the training split (default: the run's train.steps)");
  cmd->callback([=, &code] {
    code = guarded("export", [&] {
      o->run_dir = *dir;
      if (out_opt->count()) o->out = fs::path(*out);
      if (steps_opt->count()) o->retrain_steps = *steps;
      run_export(*o, std::cout);
      return 0;
    });
  });
}

}  // namespace mctsnas
