// `mctsnas validate` as a preflight: it refuses everything `search` would refuse
// (missing or malformed table, missing task data, an objective metric the task does
// not report) with one line and exit 2, and never prints "ok" before an error.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/config_loader.h"
#include "common/error.h"
#include "evaluator/task_metrics.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run run(const std::string& args, const fs::path& dir) {
  const std::string err_file = (dir / "stderr.txt").string();
  FILE* p = ::popen((test::mctsnas_binary() + " " + args + " 2>'" + err_file + "'").c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int st = ::pclose(p);
  std::ifstream in(err_file);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out, std::string((std::istreambuf_iterator<char>(in)), {})};
}

// A table config next to its table; `table` is the CSV's text, empty: no file.
fs::path table_config(const test::TempDir& d, const std::string& table, const std::string& extra = "") {
  if (!table.empty()) d.write("t.csv", table);
  return d.write("c.yaml", "name: v\nspace: {kind: nb201}\ntask: {kind: table, table: t.csv}\n" + extra);
}

void check_refused(const Run& r, const std::string& what) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code == 2);
  CHECK(r.out.find(": ok") == std::string::npos);   // nothing claimed before the error
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains(what));
}

std::string nb201_rows(size_t n) {
  std::ifstream in(test::nb201_table());
  std::string text, line;
  for (size_t i = 0; i <= n && std::getline(in, line); ++i) text += line + "\n";
  return text;
}

}  // namespace

TEST_CASE("validate refuses a missing table, a bad row and missing task data, before saying ok", "[validate]") {
  test::TempDir d("validate");
  SECTION("a missing table") {
    check_refused(run("validate " + table_config(d, "").string(), d.path()), "t.csv");
  }
  SECTION("a bad CSV row names its line") {
    std::string rows = nb201_rows(5);
    rows += "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|,not-a-number\n";
    const auto cfg = table_config(d, rows, "search: {trials: 3}\n");
    check_refused(run("validate " + cfg.string(), d.path()), "t.csv:7");
    // search refuses the same input the same way.
    check_refused(run("search " + cfg.string() + " --run-dir '" + (d / "run").string() + "'", d.path()), "t.csv:7");
  }
  SECTION("missing task data") {
    const auto cfg = d.write("g.yaml",
                             "name: g\nspace: {kind: cells, encoder: {nodes: 2, ops: [conv3, identity]}, "
                             "decoder: {nodes: 2, ops: [causal_conv3, cross_attention]}}\n"
                             "task: {kind: g2p, data: " + (d / "nodata").string() + "}\n");
#ifdef MCTSNAS_HAVE_TORCH
    check_refused(run("validate " + cfg.string(), d.path()), (d / "nodata" / "cmudict.tsv").string() + " not found");
#else
    check_refused(run("validate " + cfg.string(), d.path()), "without it");
#endif
  }
  SECTION("a good config is ok, with the space size") {
    const Run r = run("validate " + table_config(d, nb201_rows(20)).string(), d.path());
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("c.yaml: ok") && Catch::Contains("15625 architectures"));
  }
}

TEST_CASE("objective.metric must be one the task reports; validate and search refuse others", "[validate]") {
  test::TempDir d("validate-metric");
  const auto cfg = table_config(d, nb201_rows(20));
  // The NB201 table scores trials by test_accuracy: val_per would be a mislabelled score.
  const Run v = run("validate " + cfg.string() + " --set objective.metric=val_per", d.path());
  check_refused(v, "objective.metric");
  CHECK_THAT(v.err, Catch::Contains("'val_per'") && Catch::Contains("'test_accuracy'"));
  const Run s = run("search " + cfg.string() + " --set objective.metric=val_per --run-dir '" +
                        (d / "run").string() + "'", d.path());
  check_refused(s, "'val_per'");
  CHECK_FALSE(fs::exists(d / "run"));

  // Text tasks list every metric their trials report.
  const auto g2p = d.write("g.yaml", "name: g\nspace: {kind: cells, encoder: {nodes: 2, ops: [conv3]}, "
                                     "decoder: {nodes: 2, ops: [causal_conv3, cross_attention]}}\n"
                                     "task: {kind: g2p}\nobjective: {metric: val_bpc}\n");
  CHECK_THROWS_WITH(load_config(g2p), Catch::Contains("g.yaml:4") && Catch::Contains("objective.metric") &&
                                          Catch::Contains("val_per, val_word_acc, test_per, test_word_acc, params, "
                                                          "flops, latency_ms_b1, latency_ms_b32"));
}

TEST_CASE("task_metrics: defaults and the metrics each task offers", "[validate]") {
  TaskOptions t;
  t.kind = "table";
  t.score_column = "valid_acc";
  CHECK(objective_metrics(t) == std::vector<std::string>{"valid_acc"});
  CHECK(objective_metric_problem(t, "valid_acc").empty());
  CHECK_THAT(objective_metric_problem(t, "test_accuracy"), Catch::Contains("'valid_acc'"));
  t.kind = "lm";
  CHECK(default_objective_metric(t) == "val_bpc");
  CHECK(objective_metric_problem(t, "test_bpc").empty());
  CHECK(objective_metric_problem(t, "latency_ms_b32").empty());
  t.kind = "classify";
  CHECK(default_objective_metric(t) == "val_accuracy");
  CHECK(objective_metric_problem(t, "val_f1").empty());
  t.kind = "seq2seq";
  CHECK(default_objective_metric(t) == "val_ter");
  CHECK(objective_metric_problem(t, "test_exact_match").empty());
  t.kind = "fault";   // the runtime's test evaluator: any name
  CHECK(objective_metrics(t).empty());
  CHECK(objective_metric_problem(t, "anything").empty());
}

#ifdef MCTSNAS_HAVE_TORCH   // the quickstart is a g2p (LibTorch) config
TEST_CASE("validate and search refuse a max_params below the smallest architecture, in one line", "[validate][constraints]") {
  test::TempDir d("validate-bound");
  const std::string cfg = (test::source_dir() / "configs" / "quickstart.yaml").string();
  const std::string bound = " --set objective.constraints.max_params=1000";
  const Run v = run("validate " + cfg + bound, d.path());
  check_refused(v, "objective.constraints.max_params: 1000 is below the smallest architecture of the space (");
  CHECK_THAT(v.err, Catch::Contains(" params); no architecture meets it"));
  const Run s = run("search " + cfg + bound + " --run-dir '" + (d / "run").string() + "'", d.path());
  check_refused(s, "objective.constraints.max_params: 1000 is below the smallest architecture of the space (");
  CHECK_FALSE(fs::exists(d / "run"));
}

TEST_CASE("validate prints the size within the constraints next to the full size", "[validate][constraints]") {
  test::TempDir d("validate-constrained");
  // The first 200 NB201 rows with a cost column: the row number.
  std::istringstream rows(nb201_rows(200));
  std::string table, line;
  for (int i = 0; std::getline(rows, line); ++i) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    table += line + "," + (i == 0 ? "cost" : std::to_string(i)) + "\n";
  }
  const auto cfg = table_config(d, table, "objective: {constraints: {max_params: 50}}\n");
  const Run bad = run("validate " + cfg.string(), d.path());
  check_refused(bad, "name it in task.cost_columns.params");
  const Run v = run("validate " + cfg.string() + " --set task.cost_columns.params=cost", d.path());
  INFO(v.err);
  CHECK(v.code == 0);
  CHECK_THAT(v.out, Catch::Contains("15625 architectures") &&
                        Catch::Contains("within objective.constraints (max_params 50): 50 architectures"));
  const auto cells = (test::source_dir() / "configs" / "quickstart.yaml").string();
  const Run c = run("validate " + cells, d.path());
  INFO(c.err);
  CHECK(c.code == 0);
  CHECK_THAT(c.out, Catch::Contains("within objective.constraints (max_params 500000): about ") &&
                        Catch::Contains("(estimated from 2000 random walks) architectures"));
}
#endif

TEST_CASE("validate reads a classify config's own files: sizes and label counts, bad data as file:line",
          "[validate][classify]") {
  test::TempDir d("validate-classify");
  const std::string example = std::string(MCTSNAS_SOURCE_DIR) + "/configs/classify_example.yaml";
#ifdef MCTSNAS_HAVE_TORCH
  const Run ok = run("validate " + example, d.path());
  INFO(ok.err);
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::Contains("data: train 64, validation 8, test 8 examples; 2 labels") &&
                         Catch::Contains("    ham: 32 / 4 / 4\n") && Catch::Contains("    spam: 32 / 4 / 4\n"));
  d.write("bad.csv", "text,label\nhello,ham\nhi,eggs\n");
  check_refused(run("validate " + example + " --set task.test=" + (d / "bad.csv").string(), d.path()),
                (d / "bad.csv").string() + ":3: label 'eggs' is not in the training file");
  d.write("bad.tsv", "text\tlabel\nhello\tham\n\tspam\n");
  check_refused(run("validate " + example + " --set task.validation=" + (d / "bad.tsv").string(), d.path()),
                (d / "bad.tsv").string() + ":3: empty text");
#endif
  // The config's own checks: all three files, for classify only, not beside task.data.
  check_refused(run("validate " + example + " --set task.test=", d.path()), "task.test");
  check_refused(run("validate " + example + " --set task.data=/tmp", d.path()), "task.data");
  check_refused(run("validate " + example + " --set task.kind=g2p", d.path()), "task.train");
  check_refused(run("validate " + example + " --set task.class_weights=inverse", d.path()), "task.class_weights");
  check_refused(run("validate " + (test::source_dir() / "configs" / "quickstart.yaml").string() +
                        " --set task.class_weights=balanced", d.path()),
                "task.class_weights");
}

TEST_CASE("validate checks a seq2seq or lm config's own files", "[validate][user_data]") {
  test::TempDir d("validate-user-data");
  const std::string seq2seq = std::string(MCTSNAS_SOURCE_DIR) + "/configs/seq2seq_example.yaml";
  const std::string lm = std::string(MCTSNAS_SOURCE_DIR) + "/configs/lm_example.yaml";
#ifdef MCTSNAS_HAVE_TORCH
  d.write("bad.csv", "source,target\nab,AE1 B\nna\xefve,N AY1 V\n");
  check_refused(run("validate " + seq2seq + " --set task.validation=" + (d / "bad.csv").string(), d.path()),
                (d / "bad.csv").string() + ":3: byte 0xEF is not UTF-8");
  d.write("bad.jsonl", "{\"source\": \"ab\"}\n");
  check_refused(run("validate " + seq2seq + " --set task.test=" + (d / "bad.jsonl").string(), d.path()),
                (d / "bad.jsonl").string() + ":1: no field \"target\" (task.target_field)");
  check_refused(run("validate " + lm + " --set task.max_file_size=1000", d.path()), "over task.max_file_size");
  const Run ok = run("validate " + seq2seq, d.path());
  INFO(ok.err);
  CHECK(ok.code == 0);
  // The cost model counts the data's vocabularies: the smallest architecture's size.
  CHECK_THAT(ok.out, Catch::Contains("within objective.constraints (max_params 300000)"));
#endif
  check_refused(run("validate " + seq2seq + " --set task.train=", d.path()), "task.train");
  check_refused(run("validate " + seq2seq + " --set task.data=/tmp", d.path()), "task.data");
  check_refused(run("validate " + lm + " --set task.validation=x.txt", d.path()),
                "task.test: lm reads task.validation and task.test together, or neither");
  check_refused(run("validate " + lm + " --set task.kind=g2p", d.path()),
                "task.train: the split files are read by task.kind classify, seq2seq and lm only");
}

TEST_CASE("validate names a Pareto search's metrics and goals", "[validate]") {
  test::TempDir d("validate-pareto");
  const Run v = run("validate " + (test::source_dir() / "configs" / "nb201_pareto.yaml").string(), d.path());
  INFO(v.err);
  CHECK(v.code == 0);
  CHECK_THAT(v.out, Catch::Contains("objective: Pareto front of maximize test_accuracy, minimize params"));
}
