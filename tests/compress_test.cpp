// `mctsnas compress` end to end on a tiny classify run: export, compress (int8,
// distill, prune), predict and generate with --variant, the report's table, the
// recommendation rule, and bad input (a run without export, a negative tolerance, an
// unknown variant, bad pruning flags) as one-line errors.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/compress_command.h"
#include "app/config_loader.h"
#include "app/export_command.h"
#include "app/predict_command.h"
#include "app/report.h"
#include "app/search_run.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

TEST_CASE("the recommended variant is the fastest within the tolerance", "[compress]") {
  auto variants = nlohmann::json::parse(R"([
    {"name": "fp32", "metric_loss": 0.0, "metrics": {"latency_ms_b1": 2.0}},
    {"name": "int8", "metric_loss": 0.02, "metrics": {"latency_ms_b1": 1.0}}])");
  CHECK(recommended_variant(variants, 0.01) == "fp32");
  CHECK(recommended_variant(variants, 0.02) == "int8");
  CHECK(recommended_variant(variants, 0.5) == "int8");
}

TEST_CASE("compress refuses bad options before it reads the run", "[compress]") {
  test::TempDir d("compress");
  std::ostringstream out;
  CompressCommandOptions o;
  o.run_dir = d / "nope";
  o.max_metric_loss = -0.1;
  CHECK_THROWS_WITH(run_compress(o, out), Catch::Contains("--max-metric-loss must be >= 0"));
  o.max_metric_loss = 0.01;
  o.threads = -1;
  CHECK_THROWS_WITH(run_compress(o, out), Catch::Contains("--threads"));
  o.threads = 1;
  o.distill_width = 1.5;
  CHECK_THROWS_WITH(run_compress(o, out), Catch::Contains("--distill-width must be in (0, 1)"));
  o.distill_width = 0.5;
  for (double f : {0.0, 1.0, 1.5, -0.2}) {
    o.prune_fraction = f;
    CHECK_THROWS_WITH(run_compress(o, out), Catch::Contains("--prune-fraction must be in (0, 1)"));
  }
  o.prune_fraction = 0.5;
  o.prune_steps = -1;
  CHECK_THROWS_WITH(run_compress(o, out), Catch::Contains("--prune-steps must be >= 0"));
  o.prune_steps = 0;
  CHECK_THROWS_WITH(run_compress(o, out), Catch::Contains("nope"));
}

#ifdef MCTSNAS_HAVE_TORCH
TEST_CASE("compress makes an int8 variant of an exported classifier that predict and the report use",
          "[compress][torch]") {
  test::TempDir d("compress");
  const std::string yaml =
      "name: tiny-classify\n"
      "seed: 3\n"
      "space:\n"
      "  kind: cells\n"
      "  model: encoder_only\n"
      "  encoder: {nodes: 2, ops: [ffn, glu]}\n"
      "  macro: {d_model: [32], encoder_layers: [1]}\n"
      "task: {kind: classify, max_len: 24, baseline: false, data: " +
      (test::source_dir() / "data" / "samples").string() +
      "}\n"
      "train: {steps: 4, batch_size: 8, eval_every: 1000}\n"
      "search: {algorithm: random, trials: 1}\n"
      "objective: {metric: val_accuracy, goal: maximize}\n"
      "resources: {isolation: inline, per_trial: {cpu_threads: 1}}\n";
  SearchRunOptions so;
  so.config = load_config_text(yaml, "tiny.yaml");
  so.resolved_config_yaml = resolved_yaml(so.config);
  so.run_dir = d / "run";
  so.report_every_seconds = 0;
  run_search(so);
  const fs::path run = so.run_dir;
  std::ostringstream out;
  CompressCommandOptions o;
  o.run_dir = run;
  o.threads = 1;
  o.prune_steps = 2;
  CHECK_THROWS_WITH(run_compress(o, out), Catch::Contains("export the model first"));
  CHECK_THROWS_WITH(run_predict(run, {"hi"}, out, out, "int8"), Catch::Contains("export the model first"));

  run_export({run, 1, std::nullopt, std::nullopt}, out);
  CHECK_THROWS_WITH(run_predict(run, {"hi"}, out, out, "int8"),
                    Catch::Contains("--variant 'int8'") && Catch::Contains("mctsnas compress"));
  const auto report = run_compress(o, out);
  CHECK(report["metric"] == "val_accuracy");
  REQUIRE(report["variants"].size() == 4);
  CHECK(report["variants"][2]["name"] == "distill");
  CHECK(report["variants"][2]["metrics"]["params"] < report["variants"][0]["metrics"]["params"]);
  CHECK(report["variants"][3]["name"] == "prune");   // the winner has an ffn
  CHECK(report["variants"][3]["metrics"]["params"] < report["variants"][0]["metrics"]["params"]);
  CHECK(report["variants"][0]["metric_loss"] == 0.0);
  CHECK(fs::exists(run / "best" / "compressed" / "compress.json"));
  CHECK(fs::exists(run / "best" / "compressed" / "int8" / "weights_int8.pt"));
  std::ostringstream pred;
  run_predict(run, {"Buy cheap watches now!!!"}, pred, out, "int8");
  run_predict(run, {"Buy cheap watches now!!!"}, pred, out, "distill");
  run_predict(run, {"Buy cheap watches now!!!"}, pred, out, "prune");
  const std::string lines = pred.str();
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 3);
  CHECK_THROWS_WITH(run_predict(run, {"hi"}, out, out, "int4"), Catch::Contains("it has: fp32, ") &&
                                                                  Catch::Contains("int8") && Catch::Contains("distill"));
  CHECK_THROWS_WITH(run_predict(run, {"hi"}, out, out, "../int8"), Catch::Contains("--variant '../int8'"));

  const std::string html = render_report(read_run(run), ReportOptions{});
  CHECK(html.find("id=\"compressed-table\"") != std::string::npos);
  CHECK(html.find("id=\"confusion-table\"") != std::string::npos);   // export's matrix (best/metrics.json)
  CHECK(html.find(">int8") != std::string::npos);

  o.variants = {"int4"};
  CHECK_THROWS_WITH(run_compress(o, out), Catch::Contains("unknown variant 'int4'"));
  // A new export replaces the model: the old variants go with it.
  run_export({run, 1, std::nullopt, std::nullopt}, out);
  CHECK_FALSE(fs::exists(run / "best" / "compressed"));
}
#endif
