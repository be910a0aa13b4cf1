// The mctsnas binary as a user runs it: exit codes, help, validate on every shipped config.
#include <catch2/catch.hpp>

#include <array>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>

#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code;
  std::string out;  // stdout and stderr together
};

Run run(const std::string& args) {
  std::string cmd = test::mctsnas_binary() + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string src(const std::string& rel) { return (test::source_dir() / rel).string(); }

}  // namespace

TEST_CASE("--help lists the working subcommands with examples; --version", "[cli]") {
  Run r = run("--help");
  CHECK(r.code == 0);
  for (const char* sub : {"search", "resume", "validate", "sample", "report", "ls", "doctor"})
    CHECK_THAT(r.out, Catch::Contains(sub));
  CHECK_THAT(r.out, Catch::Contains("Examples:"));
  CHECK_THAT(r.out, !Catch::Contains("  trial "));  // the worker entry is hidden
  Run v = run("--version");
  CHECK(v.code == 0);
  CHECK_THAT(v.out, Catch::StartsWith("mctsnas "));
}

TEST_CASE("exit codes: bad flags and bad input are 2", "[cli]") {
  CHECK(run("").code == 2);
  CHECK(run("frobnicate").code == 2);
  CHECK(run("search").code == 2);
  Run missing = run("validate /nonexistent/x.yaml");
  CHECK(missing.code == 2);
  CHECK_THAT(missing.out, Catch::Contains("/nonexistent/x.yaml"));
  Run bad_set = run("validate " + src("configs/nb201_random.yaml") + " --set search.trails=5");
  CHECK(bad_set.code == 2);
  CHECK_THAT(bad_set.out, Catch::Contains("did you mean 'trials'"));
  Run resume = run("resume /nonexistent/run");
  CHECK(resume.code == 2);
  CHECK_THAT(resume.out, Catch::Contains("no such run directory"));
}

TEST_CASE("validate accepts every shipped config and prints the space size", "[cli]") {
  int n = 0;
  for (const auto& e : fs::directory_iterator(test::source_dir() / "configs")) {
    if (e.path().extension() != ".yaml") continue;
    ++n;
    INFO(e.path());
    Run r = run("validate " + e.path().string());
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("architectures"));
  }
  CHECK(n >= 5);
  Run nb = run("validate " + src("configs/nb201_random.yaml"));
  CHECK_THAT(nb.out, Catch::Contains("15625 architectures (6466 distinct up to isomorphism)"));
  CHECK_THAT(nb.out, !Catch::Contains("ucb_beta"));
  // --resolved: every key with its default, e.g. the MCTS and evolution settings
  // the config does not mention, with --set applied.
  Run full = run("validate " + src("configs/nb201_random.yaml") + " --resolved --set search.evolution.tournament=4");
  CHECK(full.code == 0);
  CHECK_THAT(full.out, Catch::Contains("resolved config: every key"));
  CHECK_THAT(full.out, Catch::Contains("ucb_beta: 4"));
  CHECK_THAT(full.out, Catch::Contains("tournament: 4"));
  CHECK_THAT(full.out, Catch::Contains("mutation: decision"));
}

TEST_CASE("sample prints random architectures as YAML, JSON, DOT and lines", "[cli]") {
  Run y = run("sample " + src("configs/cells_seq2seq.yaml") + " --seed 3");
  CHECK(y.code == 0);
  CHECK_THAT(y.out, Catch::Contains("encoder"));
  Run d = run("sample " + src("configs/cells_seq2seq.yaml") + " --format dot");
  CHECK(d.code == 0);
  CHECK_THAT(d.out, Catch::Contains("digraph"));
  Run l = run("sample " + src("configs/nb201_random.yaml") + " -n 3 --format line");
  CHECK(l.code == 0);
  CHECK(std::count(l.out.begin(), l.out.end(), '\n') == 3);
  CHECK(run("sample " + src("configs/nb201_random.yaml") + " --format png").code == 2);
}

TEST_CASE("search on a table writes the run directory and a summary", "[cli]") {
  test::TempDir d;
  Run r = run("search " + src("configs/nb201_random.yaml") + " --run-dir " + (d / "run").string() +
              " --set search.trials=20");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("finished: 20 trials"));
  CHECK_THAT(r.out, Catch::Contains("best: trial"));
  for (const char* f : {"config.resolved.yaml", "trials.jsonl", "summary.json", "tree.ckpt", "report.html", "trials.csv"})
    CHECK(fs::exists(d / "run" / f));
  Run again = run("search " + src("configs/nb201_random.yaml") + " --run-dir " + (d / "run").string());
  CHECK(again.code == 2);
  CHECK_THAT(again.out, Catch::Contains("already holds a run"));
  Run more = run("resume " + (d / "run").string() + " --trials 30");
  CHECK(more.code == 0);
  CHECK_THAT(more.out, Catch::Contains("finished: 30 trials"));
}
