// The mctsnas binary as a user runs it: exit codes, help, validate on every shipped config.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>

#include "common/atomic_file.h"
#include "search/searcher_registry.h"
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

TEST_CASE("compress's bad pruning flags are one-line errors, exit 2, before the run is read", "[cli]") {
  for (const std::string flag : {"--prune-fraction 0", "--prune-fraction 1.5", "--prune-steps -3"}) {
    Run r = run("compress /nonexistent/run " + flag);
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    CHECK_THAT(r.out, Catch::Contains(flag.substr(0, flag.find(' ')) + " must be"));
  }
}

TEST_CASE("validate accepts every shipped config and prints the space size", "[cli]") {
  int n = 0, total = 0;   // n: accepted
  for (const auto& e : fs::directory_iterator(test::source_dir() / "configs")) {
    if (e.path().extension() != ".yaml") continue;
    ++total;
    INFO(e.path());
    Run r = run("validate " + e.path().string());
#ifdef MCTSNAS_HAVE_TORCH
    if (r.code != 0 && !fs::exists(test::source_dir() / "data" / "cache")) {
      // Configs for the full datasets: until scripts/fetch-data.sh has fetched them,
      // validate refuses, as search would, with one line naming the missing file.
      CHECK(r.code == 2);
      CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
      CHECK_THAT(r.out, Catch::Contains("data/cache/") && Catch::Contains("not found") &&
                            Catch::Contains("fetch-data.sh"));
      continue;
    }
#else
    if (r.code != 0) {   // the LibTorch tasks
      CHECK(r.code == 2);
      CHECK_THAT(r.out, Catch::Contains("without it"));
      continue;
    }
#endif
    ++n;
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("architectures"));
  }
  CHECK(total >= 8);
  CHECK(n >= 2);   // the NB201 configs at least; with LibTorch the quickstart too
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
  for (const SearcherInfo* s : searchers())   // the algorithms, from the registry
    CHECK_THAT(full.out, Catch::Contains("#   " + std::string(s->name) + ": " + std::string(s->description)));
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

TEST_CASE("a mistyped command gets the closest one; a config key given as a flag gets --set", "[cli]") {
  Run typo = run("serch " + src("configs/nb201_random.yaml"));
  CHECK(typo.code == 2);
  CHECK_THAT(typo.out, Catch::Contains("unknown command 'serch'; did you mean 'search'?"));
  CHECK(run("trial --help").code == 0);   // the hidden worker entry is still a command
  Run flag = run("search " + src("configs/nb201_random.yaml") + " --trials 5");
  CHECK(flag.code == 2);
  CHECK_THAT(flag.out, Catch::Contains("use --set search.trials=5"));
  Run eq = run("validate " + src("configs/nb201_random.yaml") + " --seed=4");
  CHECK(eq.code == 2);
  CHECK_THAT(eq.out, Catch::Contains("use --set seed=4"));
}

TEST_CASE("config errors blame their source: the --set flag, an empty file", "[cli]") {
  test::TempDir d;
  Run set = run("validate " + src("configs/nb201_random.yaml") + " --set foo.bar=1");
  CHECK(set.code == 2);
  CHECK_THAT(set.out, Catch::Contains("--set foo.bar=1: foo: unknown key 'foo'"));
  test::write_text(d / "empty.yaml", "# nothing yet\n");
  Run empty = run("validate " + (d / "empty.yaml").string());
  CHECK(empty.code == 2);
  CHECK_THAT(empty.out, Catch::Contains("empty.yaml: the config file is empty"));
}

TEST_CASE("bad input found while setting up is reported before any run directory is announced", "[cli]") {
  test::TempDir d;
  Run col = run("search " + src("configs/nb201_random.yaml") + " --run-dir " + (d / "run").string() +
                " --set task.score_column=acc --set objective.metric=acc");   // the metric must match the column
  CHECK(col.code == 2);
  CHECK_THAT(col.out, Catch::Contains("did you mean 'test_accuracy'?"));
  CHECK_THAT(col.out, !Catch::Contains("run directory"));
  CHECK_FALSE(fs::exists(d / "run"));
  test::write_text(d / "afile", "x");
  Run file = run("search " + src("configs/nb201_random.yaml") + " --run-dir " + (d / "afile").string());
  CHECK(file.code == 2);
  CHECK_THAT(file.out, Catch::Contains("afile: exists and is not a directory"));
}

TEST_CASE("resume refuses a target below the finished trials", "[cli]") {
  test::TempDir d;
  const std::string dir = (d / "run").string();
  REQUIRE(run("search " + src("configs/nb201_random.yaml") + " --run-dir " + dir + " --set search.trials=8").code == 0);
  for (const char* n : {"5", "0"}) {
    Run r = run("resume " + dir + " --trials " + n);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains(std::string("--trials ") + n + ": must be >= 8"));
  }
  CHECK_THAT(read_file(d / "run" / "summary.json"), Catch::Contains("\"trials_target\": 8"));
}

TEST_CASE("each command's --help shows its own examples", "[cli]") {
  Run search = run("search --help");
  CHECK_THAT(search.out, Catch::Contains("mctsnas search configs/quickstart.yaml"));
  CHECK_THAT(search.out, !Catch::Contains("mctsnas doctor"));
  Run doctor = run("doctor --help");
  CHECK_THAT(doctor.out, Catch::Contains("mctsnas doctor"));
  CHECK_THAT(doctor.out, !Catch::Contains("mctsnas search"));
}

TEST_CASE("parallel table trials ask TBB for no more threads than the machine has", "[cli]") {
  test::TempDir d;
  Run r = run("search " + src("configs/nb201_random.yaml") + " --run-dir " + (d / "run").string() +
              " --set search.trials=12 --set search.parallel=64");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, !Catch::Contains("TBB Warning"));
  CHECK_THAT(r.out, Catch::Contains("best: trial #"));
}

TEST_CASE("the resume hint names the binary as it was run", "[cli]") {
  test::TempDir d;
  const std::string dir = (d / "run").string();
  // SIGTERM right away: the run stops (exit 1) and prints how to continue it.
  std::string cmd = "sh -c '" + test::mctsnas_binary() + " search " + src("configs/nb201_random.yaml") + " --run-dir " +
                    dir + " --set search.trials=100000000 & p=$!; "
                    "while [ ! -s " + dir + "/trials.jsonl ]; do sleep 0.1; done; kill -TERM $p; wait $p'";
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  CHECK_THAT(out, Catch::Contains("resume with: " + test::mctsnas_binary() + " resume " + dir));
}
