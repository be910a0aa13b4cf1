// `mctsnas serve-plan` end to end through the binary (it forks its instances, so it
// runs in a process that has not used LibTorch yet, as the CLI is): a tiny classify
// run exported, swept in seconds, serving.yaml and serve_plan.json written, the report's
// section; and bad input as one-line errors.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "app/report.h"
#include "app/run_reader.h"
#include "app/serve_plan_command.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

int run_cli(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> argv = {MCTSNAS_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  int status = 0;
  ::waitpid(test::spawn_logged(argv, log), &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("serve-plan refuses bad options before it reads the run", "[serve]") {
  test::TempDir d("serve");
  std::ostringstream out;
  ServePlanOptions o;
  o.run_dir = d / "nope";
  o.seconds = 0;
  CHECK_THROWS_WITH(run_serve_plan(o, out), Catch::Contains("--seconds must be in (0, 600]"));
  o.seconds = 1;
  o.batches = {1, 0};
  CHECK_THROWS_WITH(run_serve_plan(o, out), Catch::Contains("--batches: each batch size must be in [1, 4096], got 0"));
  o.batches = {1};
  o.p99_ms = -1;
  CHECK_THROWS_WITH(run_serve_plan(o, out), Catch::Contains("--p99-ms must be > 0"));
  o.p99_ms = 100;
  o.budget_seconds = 0;
  CHECK_THROWS_WITH(run_serve_plan(o, out), Catch::Contains("--budget-seconds must be > 0"));
  o.budget_seconds = 60;
  CHECK_THROWS_WITH(run_serve_plan(o, out), Catch::Contains("nope"));
}

#ifdef MCTSNAS_HAVE_TORCH
TEST_CASE("serve-plan sweeps an exported classifier and its reference Transformer and writes serving.yaml",
          "[serve][torch]") {
  test::TempDir d("serve");
  const fs::path config = d.write("tiny.yaml",
      "name: tiny-classify\nseed: 3\n"
      "space: {kind: cells, model: encoder_only, encoder: {nodes: 2, ops: [ffn, glu]},"
      " macro: {d_model: [32], encoder_layers: [1]}}\n"
      "task: {kind: classify, max_len: 24, baseline: false, data: " + (test::source_dir() / "data" / "samples").string() +
      "}\ntrain: {steps: 4, batch_size: 8, eval_every: 1000}\n"
      "search: {algorithm: random, trials: 1}\n"
      "objective: {metric: val_accuracy, goal: maximize}\n"
      "resources: {isolation: inline, per_trial: {cpu_threads: 1}}\n");
  const fs::path run = d / "run", log = d / "log.txt";
  REQUIRE(run_cli({"search", config.string(), "--run-dir", run.string()}, log) == 0);
  // Before export: a one-line error, exit 2.
  CHECK(run_cli({"serve-plan", run.string()}, log) == 2);
  CHECK(read_file(log).find("export") != std::string::npos);
  REQUIRE(run_cli({"export", run.string(), "--retrain-steps", "1"}, log) == 0);
  CHECK(run_cli({"serve-plan", run.string(), "--variant", "int8"}, log) == 2);
  CHECK(read_file(log).find("int8") != std::string::npos);

  REQUIRE(run_cli({"serve-plan", run.string(), "--seconds", "0.05", "--batches", "1,4", "--max-threads", "2",
                   "--budget-seconds", "300"}, log) == 0);
  const std::string printed = read_file(log);
  INFO(printed);
  CHECK(printed.find("[####################]") != std::string::npos);   // the progress bar reached the end
  const auto plan = nlohmann::json::parse(read_file(run / "best" / "serving" / "serve_plan.json"));
  REQUIRE(plan["settings"].size() >= 2);
  for (const auto& s : plan["settings"]) {
    CHECK_FALSE(s.contains("error"));
    REQUIRE(s["points"].size() == 2);
    CHECK(s["points"][1]["batch"] == 4);
    CHECK(s["points"][0]["requests"] > 0);
    CHECK(s["points"][0]["p99_ms"] >= s["points"][0]["p50_ms"]);
  }
  CHECK(plan["settings"][0]["model"] == "winner");
  CHECK(plan["settings"][1]["model"] == "reference");
  CHECK(plan["settings"][1]["params"] > 0);   // param-matched: it may equal the winner's count
  CHECK(plan["settings"][0]["first_load_ms"] > 0);
  const YAML::Node y = YAML::LoadFile((run / "best" / "serving.yaml").string());
  CHECK(y["serve"]["cpu"]["threads_per_instance"].as<int>() >= 1);
  CHECK(y["reference_transformer"]["cpu"]["batch_size"].as<int>() >= 1);
  CHECK(y["measured_on"]["libtorch"].as<std::string>().size() > 0);
  CHECK(y["model"]["variant"].as<std::string>() == "fp32");

  const std::string html = render_report(read_run(run), ReportOptions{});
  CHECK(html.find("id=\"serving-table\"") != std::string::npos);
  CHECK(html.find("id=\"serving-plot\"") != std::string::npos);

  // A budget too small for any setting: an error, and the last plan stays.
  CHECK(run_cli({"serve-plan", run.string(), "--budget-seconds", "0.001"}, log) == 2);
  CHECK(read_file(log).find("no setting was measured") != std::string::npos);
  CHECK(fs::exists(run / "best" / "serving.yaml"));
}
#endif
