// `mctsnas export` (and the run-directory checks of generate/predict): a tabular NB201
// run exported by rank and goal, the files it writes, and every bad-input case as a
// one-line Error (exit code 2 through the CLI). With LibTorch: a tiny cell LM run
// exported, retrained and used by `generate`.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/config_loader.h"
#include "app/export_command.h"
#include "app/generate_command.h"
#include "app/ls_command.h"
#include "app/predict_command.h"
#include "app/search_run.h"
#include "common/error.h"
#include "common/file_manifest.h"
#include "space/arch_io.h"
#include "space/space_options.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

RunOptions nb201_options(Goal goal, int64_t trials) {
  RunOptions o = test::nb201_run_options("random", 4, trials);
  o.name = "exp";
  o.objective.goal = goal;
  return o;
}

fs::path make_run(const RunOptions& cfg, const fs::path& dir) {
  SearchRunOptions o;
  o.config = cfg;
  o.resolved_config_yaml = resolved_yaml(cfg);
  o.run_dir = dir;
  o.report_every_seconds = 0;
  run_search(o);
  return dir;
}

std::vector<nlohmann::json> trial_lines(const fs::path& run) {
  std::ifstream in(run / "trials.jsonl");
  std::vector<nlohmann::json> v;
  std::string line;
  while (std::getline(in, line)) v.push_back(nlohmann::json::parse(line));
  return v;
}

// Scores of the ok trials, best first for `minimize`.
std::vector<double> sorted_scores(const fs::path& run, bool minimize) {
  std::vector<double> s;
  for (const auto& t : trial_lines(run))
    if (t.at("status") == "ok") s.push_back(t.at("score").get<double>());
  std::sort(s.begin(), s.end());
  if (!minimize) std::reverse(s.begin(), s.end());
  return s;
}

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(std::ifstream(p)); }

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool have_dot() { return std::system("command -v dot >/dev/null 2>&1") == 0; }

// Runs the CLI; returns its exit code and stderr.
std::pair<int, std::string> cli(const std::string& args, const fs::path& err_file) {
  const int rc = std::system((test::mctsnas_binary() + " " + args + " >/dev/null 2>" + err_file.string()).c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(err_file)};
}

}  // namespace

TEST_CASE("export of a tabular run: the best trial's architecture, graph and metrics", "[export]") {
  test::TempDir d("export");
  const auto run = make_run(nb201_options(Goal::maximize, 25), d / "run");
  const auto scores = sorted_scores(run, false);
  REQUIRE(scores.size() >= 3);

  std::ostringstream out;
  auto res = run_export({run, 1, std::nullopt, std::nullopt}, out);
  const fs::path best = run / "best";
  CHECK(res.dir == best);
  CHECK_FALSE(res.has_model);
  CHECK(out.str().find("table task: no model") != std::string::npos);
  for (const char* f : {"architecture.yaml", "cells.dot", "metrics.json"}) CHECK(fs::file_size(best / f) > 0);
  CHECK_FALSE(fs::exists(best / "weights.pt"));
  CHECK_FALSE(fs::exists(best / "model.py"));
  if (have_dot()) CHECK(slurp(best / "cells.svg").find("<svg") != std::string::npos);

  const auto m = read_json(best / "metrics.json");
  CHECK(m["trial"]["score"].get<double>() == scores[0]);
  CHECK(m["trial"]["rank"] == 1);
  CHECK(m["trial"]["goal"] == "maximize");
  CHECK(m["trial"]["id"] == res.trial_id);
  CHECK(m["export"]["model"].is_null());
  CHECK(m["export"]["retrained"] == false);

  // architecture.yaml reads back as the trial's architecture.
  const auto cfg = load_config(run / "config.resolved.yaml");
  auto space = make_space(cfg.space);
  const auto arch = load_architecture(*space, best / "architecture.yaml");
  CHECK(space->key(arch) == m["trial"]["arch"].get<std::string>());
  CHECK(slurp(best / "cells.dot").find("digraph") != std::string::npos);

  // Issue 13, defect 5: every exported file is in manifest.txt and checked.
  const std::string manifest = slurp(best / "manifest.txt");
  for (const char* f : {"architecture.yaml", "cells.dot", "metrics.json"})
    CHECK_THAT(manifest, Catch::Contains(std::string("  ") + f + "\n"));
  CHECK_NOTHROW(verify_manifest(best, {"architecture.yaml"}));
  test::write_text(best / "architecture.yaml", slurp(best / "architecture.yaml") + "# edited\n");
  CHECK_THROWS_WITH(verify_manifest(best, {"architecture.yaml"}),
                    Catch::Contains("architecture.yaml: changed or damaged since the export"));

  // --rank 3 into --out: the third best score.
  auto res3 = run_export({run, 3, d / "third", std::nullopt}, out);
  CHECK(res3.dir == d / "third");
  CHECK(read_json(d / "third" / "metrics.json")["trial"]["score"].get<double>() == scores[2]);
  CHECK(read_json(d / "third" / "metrics.json")["trial"]["rank"] == 3);
}

TEST_CASE("export ranks by objective.goal: minimize exports the lowest score", "[export]") {
  test::TempDir d("export");
  const auto run = make_run(nb201_options(Goal::minimize, 20), d / "run");
  const auto scores = sorted_scores(run, true);
  std::ostringstream out;
  run_export({run, 1, std::nullopt, std::nullopt}, out);
  const auto m = read_json(run / "best" / "metrics.json");
  CHECK(m["trial"]["score"].get<double>() == scores.front());
  CHECK(m["trial"]["goal"] == "minimize");
  const int last = static_cast<int>(scores.size());
  run_export({run, last, d / "worst", std::nullopt}, out);
  CHECK(read_json(d / "worst" / "metrics.json")["trial"]["score"].get<double>() == scores.back());
}

TEST_CASE("export --pareto exports every member of a Pareto search's set; ls counts them", "[export]") {
  test::TempDir d("export");
  RunOptions cfg = nb201_options(Goal::maximize, 40);
  cfg.task.cost_columns.params = "conv_weights";
  cfg.objective.metrics = {"test_accuracy", "params"};
  cfg.objective.goals = {Goal::maximize, Goal::minimize};
  const auto run = make_run(cfg, d / "run");
  const auto front = read_json(run / "summary.json")["pareto"]["trials"];
  REQUIRE(front.size() >= 2);
  test::write_text(run / "best" / "pareto" / "999999" / "metrics.json", "{}");   // a member of an older front

  std::ostringstream out;
  ExportOptions o{run, 1, std::nullopt, std::nullopt};
  o.pareto = true;
  const auto done = run_export_pareto(o, out);
  REQUIRE(done.size() == front.size());
  CHECK_FALSE(fs::exists(run / "best" / "pareto" / "999999"));
  for (size_t i = 0; i < front.size(); ++i) {
    const fs::path dir = run / "best" / "pareto" / std::to_string(front[i]["id"].get<int64_t>());
    CHECK(done[i].dir == dir);
    const auto m = read_json(dir / "metrics.json");
    CHECK(m["trial"]["id"] == front[i]["id"]);
    CHECK(m["trial"]["rank"].is_null());
    CHECK(m["trial"]["metrics"]["params"] == front[i]["metrics"]["params"]);
    CHECK_NOTHROW(verify_manifest(dir, {"architecture.yaml", "metrics.json"}));
  }
  CHECK_THAT(out.str(), Catch::Contains("exported the Pareto set: " + std::to_string(front.size()) + " trial(s)"));

  const auto listed = list_runs(run);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].front_size == front.size());

  // A single-objective run has no set to export.
  const auto single = make_run(nb201_options(Goal::maximize, 10), d / "single");
  ExportOptions s{single, 1, std::nullopt, std::nullopt};
  s.pareto = true;
  CHECK_THROWS_WITH(run_export_pareto(s, out),
                    Catch::Contains("summary.json: no Pareto set: --pareto exports the set of a search with "
                                    "objective.metrics"));
  CHECK_FALSE(list_runs(single)[0].front_size);
  const auto [rc, err] = cli("export " + run.string() + " --pareto --rank 2", d / "err.txt");
  CHECK(rc == 2);
  CHECK_THAT(err, Catch::Contains("--rank excludes --pareto"));
}

TEST_CASE("export, generate and predict reject bad run directories with one-line errors", "[export]") {
  test::TempDir d("export");
  const auto run = make_run(nb201_options(Goal::maximize, 8), d / "run");
  std::ostringstream out;
  auto export_error = [&](const ExportOptions& o) -> std::string {
    try {
      run_export(o, out);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  const auto ok_count = sorted_scores(run, false).size();

  CHECK_THAT(export_error({d / "nope", 1, {}, {}}), Catch::Contains("nope"));
  fs::create_directories(d / "empty");
  CHECK_THAT(export_error({d / "empty", 1, {}, {}}), Catch::Contains("empty"));
  CHECK_THAT(export_error({run, static_cast<int>(ok_count) + 1, {}, {}}),
             Catch::Contains("--rank " + std::to_string(ok_count + 1)) &&
                 Catch::Contains(std::to_string(ok_count) + " ok trial"));
  CHECK_THAT(export_error({run, 0, {}, {}}), Catch::Contains("--rank 0"));
  CHECK_THAT(export_error({run, 1, {}, int64_t{100}}), Catch::Contains("--retrain-steps") && Catch::Contains("table"));

  SECTION("a run with no ok trial") {
    std::string text;
    for (auto t : trial_lines(run)) {
      t["status"] = "crashed";
      t["score"] = nullptr;
      t["reward"] = nullptr;
      t["error"] = "boom";
      text += t.dump() + "\n";
    }
    test::write_text(run / "trials.jsonl", text);
    fs::remove(run / "summary.json");
    CHECK_THAT(export_error({run, 1, {}, {}}), Catch::Contains("no trial finished ok"));
  }
  SECTION("a run without its config") {
    fs::remove(run / "config.resolved.yaml");
    CHECK_THAT(export_error({run, 1, {}, {}}), Catch::Contains("config.resolved.yaml: missing"));
  }
  SECTION("generate and predict on a table run") {
    run_export({run, 1, {}, {}}, out);
    GenerateCommandOptions g;
    g.run_dir = run;
    g.prompt = "x";
    REQUIRE_THROWS_WITH(run_generate(g, out), Catch::Contains("table") && Catch::Contains("no model"));
    REQUIRE_THROWS_WITH(run_predict(run, {"hello"}, out, out), Catch::Contains("table") && Catch::Contains("no model"));
    REQUIRE_THROWS_WITH(run_predict(d / "nope", {"hello"}, out, out), Catch::Contains("nope"));
  }
  SECTION("the CLI: exit code 2 and one line on stderr") {
    for (const std::string& args : {"export " + (d / "nope").string(), "export " + run.string() + " --rank 99",
                                   "generate " + run.string() + " --prompt hi",
                                   "predict " + run.string() + " word"}) {
      INFO(args);
      const auto [code, err] = cli(args, d / "err.txt");
      CHECK(code == 2);
      CHECK(std::count(err.begin(), err.end(), '\n') == 1);
      CHECK(err.find("error:") != std::string::npos);
    }
  }
}

#ifdef MCTSNAS_HAVE_TORCH
TEST_CASE("export of a cell LM run trains it again and writes weights and model.py; generate uses them",
          "[export][torch]") {
  test::TempDir d("export");
  const std::string yaml =
      "name: tiny-lm\n"
      "seed: 3\n"
      "space:\n"
      "  kind: cells\n"
      "  model: decoder_only\n"
      "  decoder: {nodes: 2, ops: [causal_conv3, causal_local_attention_w8, glu, identity]}\n"
      "  macro: {d_model: [16], decoder_layers: [1]}\n"
      "task: {kind: lm, max_len: 16, baseline: false, data: " +
      (test::source_dir() / "data" / "samples").string() +
      "}\n"
      "train: {steps: 4, batch_size: 4, eval_every: 1000}\n"
      "search: {algorithm: random, trials: 2}\n"
      "objective: {metric: val_bpc, goal: minimize}\n"
      "resources: {isolation: inline, per_trial: {cpu_threads: 1}}\n";
  const auto cfg = load_config_text(yaml, "tiny.yaml");
  const auto run = make_run(cfg, d / "run");

  GenerateCommandOptions g;
  g.run_dir = run;
  g.prompt = "In";
  g.tokens = 5;
  std::ostringstream out;
  REQUIRE_THROWS_WITH(run_generate(g, out), Catch::Contains("best/model.json: missing") &&
                                                 Catch::Contains("mctsnas export"));

  auto res = run_export({run, 1, std::nullopt, std::nullopt}, out);
  CHECK(res.has_model);
  for (const char* f : {"architecture.yaml", "cells.dot", "metrics.json", "model.json", "weights.pt", "model.py"})
    CHECK(fs::exists(run / "best" / f));
  const auto m = read_json(run / "best" / "metrics.json");
  CHECK(m["export"]["steps"] == 4);
  CHECK(m["export"]["retrained"] == true);   // trials keep no weights: export always trains
  CHECK(m["export"]["steps_from"] == "train.steps");
  // Same seed and steps as the trial, on the CPU: the trial's model again.
  CHECK(m["export"]["metrics"]["val_bpc"].get<double>() == Approx(m["trial"]["score"].get<double>()).epsilon(1e-6));

  run_export({run, 1, d / "longer", int64_t{6}}, out);
  CHECK(read_json(d / "longer" / "metrics.json")["export"]["metrics"]["steps"] == 6);
  CHECK(read_json(d / "longer" / "metrics.json")["export"]["steps_from"] == "--retrain-steps");

  std::ostringstream text;
  run_generate(g, text);
  CHECK(text.str().size() == 2 + 5 + 1);
  REQUIRE_THROWS_WITH(run_predict(run, {"word"}, out, out), Catch::Contains("generate"));
}
#endif

TEST_CASE("predict names the characters a model never saw in training", "[export]") {
  const std::string letters = "'-abcdefghijklmnopqrstuvwxyz";   // sorted bytes
  CHECK(unseen_characters("naive", letters).empty());
  CHECK(unseen_characters("naïve", letters) == std::vector<std::string>{"ï"});   // one UTF-8 character, not two bytes
  CHECK(unseen_characters("café crème", letters) == std::vector<std::string>{"é", " ", "è"});
  CHECK(unseen_characters("x2x2", letters) == std::vector<std::string>{"2"});    // each once
  CHECK(unseen_characters("", letters).empty());
}
