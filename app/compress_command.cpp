#include "app/compress_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "app/commands.h"
#include "app/export_command.h"
#include "app/run_config.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/rng.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "evaluator/torch/compress.h"
#include "evaluator/torch/quantize.h"
#endif

namespace mctsnas {
namespace fs = std::filesystem;
namespace {

void check_options(const CompressCommandOptions& o) {
  if (!(o.max_metric_loss >= 0))
    throw Error("--max-metric-loss must be >= 0 (in the objective metric's units), got " +
                std::to_string(o.max_metric_loss));
  if (o.threads < 0) throw Error("--threads must be >= 0 (0: every core), got " + std::to_string(o.threads));
  if (o.variants.empty()) throw Error("--variants: name at least one variant (int8, distill, prune)");
  if (!(o.distill_width > 0 && o.distill_width < 1))
    throw Error("--distill-width must be in (0, 1) (the student's width / the winner's), got " +
                std::to_string(o.distill_width));
  if (o.distill_steps < 0) throw Error("--distill-steps must be >= 0 (0: the run's train.steps), got " +
                                       std::to_string(o.distill_steps));
  if (!(o.prune_fraction > 0 && o.prune_fraction < 1))
    throw Error("--prune-fraction must be in (0, 1) (the share of each op's units removed), got " +
                std::to_string(o.prune_fraction));
  if (o.prune_steps < 0) throw Error("--prune-steps must be >= 0 (0: no fine-tuning), got " +
                                     std::to_string(o.prune_steps));
}

void print_table(const nlohmann::json& report, std::ostream& out) {
  const std::string metric = report["metric"];
  out << "variant  " << metric << "  test  loss  weights(KB)  dense(KB)  b1(ms)  b32(ms)  load(ms)\n";
  for (const auto& v : report["variants"]) {
    const auto& m = v["metrics"];
    const std::string test = "test_" + metric.substr(metric.find('_') + 1);
    char line[256];
    std::snprintf(line, sizeof line, "%-7s  %.4f  %.4f  %+.4f  %9.1f  %9.1f  %6.3f  %7.3f  %8.1f%s\n",
                  v["name"].get<std::string>().c_str(), m.value(metric, 0.0), m.value(test, 0.0),
                  v["metric_loss"].get<double>(), m.value("weights_bytes", 0.0) / 1024,
                  m.value("dense_weight_bytes", 0.0) / 1024, m.value("latency_ms_b1", 0.0),
                  m.value("latency_ms_b32", 0.0), m.value("load_ms", 0.0),
                  v["recommended"].get<bool>() ? "  (recommended)" : "");
    out << line;
  }
}

}  // namespace

std::string recommended_variant(const nlohmann::json& variants, double max_loss) {
  std::string best;
  double best_ms = 0;
  for (const auto& v : variants) {
    const double ms = v["metrics"].value("latency_ms_b1", 0.0);
    if (v["metric_loss"].get<double>() <= max_loss && (best.empty() || ms < best_ms)) {
      best = v["name"];
      best_ms = ms;
    }
  }
  return best;
}

nlohmann::json run_compress(const CompressCommandOptions& o, std::ostream& out) {
  check_options(o);
  const fs::path best = exported_model_dir(o.run_dir);
#ifdef MCTSNAS_HAVE_TORCH
  const RunData run = read_run(o.run_dir, ReadRunOptions{.trials = false});
  const RunOptions config = load_run_config(o.run_dir);
  const std::string metric = run.summary.metric.empty() ? config.objective.metric : run.summary.metric;
  const bool minimize = run.has_summary ? run.summary.minimize : config.objective.goal == Goal::minimize;
  torchnas::CompressOptions c;
  c.task = config.task;
  c.variants = o.variants;
  c.train = config.train;
  if (o.distill_steps > 0) c.train.steps = o.distill_steps;
  c.seed = hash_combine(config.seed, 0xd157);
  c.distill.width = o.distill_width;
  c.prune_fraction = o.prune_fraction;
  c.prune_steps = o.prune_steps;
  c.threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto reports = torchnas::compress_export(best, c, &out);
  nlohmann::json report = {{"metric", metric},      {"goal", minimize ? "minimize" : "maximize"},
                           {"threads", c.threads},   {"max_metric_loss", o.max_metric_loss},
                           {"engine", torchnas::use_int8_engine()}, {"libtorch", TORCH_VERSION},
                           {"variants", nlohmann::json::array()}};
  const double base = reports.at(0).metrics.at(metric);
  for (const auto& r : reports) {
    if (!r.metrics.count(metric)) throw Error("compress: variant " + r.name + " has no " + metric);
    const double v = r.metrics.at(metric);
    report["variants"].push_back({{"name", r.name},
                                  {"dir", fs::relative(r.dir, o.run_dir).string()},
                                  {"metrics", r.metrics},
                                  {"metric_loss", minimize ? v - base : base - v}});
  }
  const std::string rec = recommended_variant(report["variants"], o.max_metric_loss);
  for (auto& v : report["variants"]) v["recommended"] = v["name"] == rec;
  report["recommended"] = rec;
  write_file_atomically(best / "compressed" / "compress.json", report.dump(2) + "\n");
  print_table(report, out);
  out << "wrote " << (best / "compressed" / "compress.json").string() << "\n";
  return report;
#else
  (void)out;
  (void)best;
  throw Error("compress runs LibTorch models, and this mctsnas was built without it (rebuild with -DMCTSNAS_WITH_TORCH=ON)");
#endif
}

void add_compress_command(CLI::App& app, int& code) {
  auto* cmd = app.add_subcommand("compress", "Make and measure smaller variants (int8, distilled, pruned) of a run's exported model");
  auto o = std::make_shared<CompressCommandOptions>();
  auto dir = std::make_shared<std::string>();
  cmd->add_option("RUN_DIR", *dir, "Run directory of an lm, g2p, classify or seq2seq run, exported with `mctsnas export`")
      ->required();
  cmd->add_option("--variants", o->variants, "Variants to make: int8, distill, prune")
      ->delimiter(',')
      ->default_str("int8,distill,prune");
  cmd->add_option("--distill-width", o->distill_width, "The distilled student's d_model / the winner's")
      ->default_val(0.5);
  cmd->add_option("--distill-steps", o->distill_steps, "The student's training steps (0: the run's train.steps)")
      ->default_val(0);
  cmd->add_option("--prune-fraction", o->prune_fraction, "The share of each ffn/attention op's units pruned")
      ->default_val(0.5);
  cmd->add_option("--prune-steps", o->prune_steps, "The pruned model's fine-tuning steps (0: none)")
      ->default_val(100);
  cmd->add_option("--threads", o->threads, "Intra-op threads for every latency figure (0: every core)")
      ->default_val(0);
  cmd->add_option("--max-metric-loss", o->max_metric_loss,
                  "Largest loss in the objective metric a recommended variant may have")
      ->default_val(0.01);
  cmd->callback([=, &code] {
    code = guarded("compress", [&] {
      o->run_dir = *dir;
      run_compress(*o, std::cout);
      return 0;
    });
  });
}

}  // namespace mctsnas
