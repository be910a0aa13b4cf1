#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "app/ls_command.h"
#include "app/run_lock.h"
#include "common/error.h"
#include "run_dir_fixture.h"

using namespace mctsnas;
using namespace mctsnas::testing;
namespace fs = std::filesystem;

namespace {

// A results root with one run in each state, a non-run folder and a broken run.
void make_root(const fs::path& root) {
  SyntheticRun fin;
  fin.trials = 20;
  fin.target = 20;
  write_synthetic_run(root / "a-finished-20260101-000000", fin);
  SyntheticRun res;
  res.name = "b";
  res.algorithm = "evolution";
  res.trials = 7;
  res.target = 100;
  res.state = "interrupted";
  res.checkpoint = true;
  write_synthetic_run(root / "b-resumable-20260101-000000", res);
  SyntheticRun killed = res;
  killed.name = "c";
  killed.checkpoint = false;
  killed.all_fail = true;
  write_synthetic_run(root / "c-interrupted-20260101-000000", killed);
  SyntheticRun crashed = res;   // killed -9: summary still says running, checkpoint there
  crashed.name = "d";
  crashed.state = "running";
  write_synthetic_run(root / "d-killed-20260101-000000", crashed);
  fs::create_directories(root / "not-a-run");
  write_text(root / "README.md", "results\n");
  write_text(root / "e-broken" / "summary.json", "{\"state\": 3}");
}

}  // namespace

TEST_CASE("list_runs reads name, algorithm, trials, best and state of each run", "[ls]") {
  TempDir tmp("ls");
  make_root(tmp.path());
  auto runs = list_runs(tmp.path());
  REQUIRE(runs.size() == 5);
  CHECK(runs[0].dir == "a-finished-20260101-000000");
  CHECK(runs[0].name == "g2p-small");
  CHECK(runs[0].algorithm == "mcts");
  CHECK(runs[0].trials_finished == 20);
  CHECK(runs[0].trials_target == 20);
  CHECK(runs[0].state == "finished");
  CHECK(runs[0].best_score.has_value());
  CHECK(runs[0].metric == "val_per");
  CHECK(runs[1].state == "resumable");
  CHECK(runs[1].algorithm == "evolution");
  CHECK(runs[1].trials_target == 100);
  CHECK(runs[2].state == "interrupted");
  CHECK(!runs[2].best_score.has_value());
  CHECK(runs[3].state == "resumable");
  CHECK(runs[4].dir == "e-broken");
  CHECK_THAT(runs[4].error, Catch::Contains("summary.json") && Catch::Contains("'state'"));
}

TEST_CASE("ls tells a run in progress (its lock held) from a resumable one", "[ls]") {
  TempDir tmp("ls");
  make_root(tmp.path());
  RunLock live = RunLock::acquire(tmp.path() / "d-killed-20260101-000000");
  auto runs = list_runs(tmp.path());
  REQUIRE(runs.size() == 5);
  CHECK(runs[1].state == "resumable");
  CHECK(runs[3].state == "running (pid " + std::to_string(getpid()) + ")");
}

TEST_CASE("run_ls prints one aligned line per run", "[ls]") {
  TempDir tmp("ls-print");
  make_root(tmp.path());
  std::ostringstream out, err;
  REQUIRE(run_ls(tmp.path(), out, err) == 0);
  CHECK(err.str().empty());
  std::istringstream lines(out.str());
  std::vector<std::string> l;
  for (std::string s; std::getline(lines, s);) l.push_back(s);
  REQUIRE(l.size() == 6);
  CHECK(l[0].rfind("RUN", 0) == 0);
  CHECK_THAT(l[1], Catch::Contains("a-finished-20260101-000000") && Catch::Contains("mcts") &&
                       Catch::Contains("20/20") && Catch::Contains("val_per=") && Catch::EndsWith("finished"));
  CHECK_THAT(l[2], Catch::Contains("7/100") && Catch::EndsWith("resumable"));
  CHECK_THAT(l[3], Catch::Contains(" - ") && Catch::EndsWith("interrupted"));
  CHECK_THAT(l[5], Catch::Contains("unreadable"));
  // Columns line up: the algorithm column starts at the same offset on every line.
  CHECK(l[0].find("ALGORITHM") == l[1].find("mcts"));
}

TEST_CASE("ls of a run killed before its summary reads the config and trials", "[ls]") {
  TempDir tmp("ls-nosummary");
  SyntheticRun o;
  o.summary = false;
  o.trials = 9;
  o.target = 50;
  o.truncate_last = true;
  write_synthetic_run(tmp.path() / "early", o);
  auto runs = list_runs(tmp.path());
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].error.empty());
  CHECK(runs[0].name == "g2p-small");
  CHECK(runs[0].trials_finished == 9);
  CHECK(runs[0].trials_target == 50);
  CHECK(runs[0].state == "interrupted");
}

TEST_CASE("ls of a run directory itself lists that run; a missing root is a clear error", "[ls]") {
  TempDir tmp("ls-root");
  SyntheticRun o;
  o.trials = 3;
  write_synthetic_run(tmp.path() / "one", o);
  auto runs = list_runs(tmp.path() / "one");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].dir == "one");
  CHECK(list_runs(tmp.path().string() + "/one/").at(0).dir == "one");  // trailing slash

  std::ostringstream out, err;
  CHECK(run_ls(tmp.path() / "nope", out, err) == 2);
  CHECK_THAT(err.str(), Catch::Contains("nope") && Catch::Contains("no such directory"));
  fs::create_directories(tmp.path() / "empty");
  std::ostringstream out2, err2;
  CHECK(run_ls(tmp.path() / "empty", out2, err2) == 0);
  CHECK_THAT(out2.str(), Catch::Contains("no runs under"));
}

TEST_CASE("mctsnas ls ROOT runs from the command line", "[ls]") {
  TempDir tmp("ls-cli");
  make_root(tmp.path());
  const std::string bin = MCTSNAS_BINARY;
  const fs::path out = tmp.path() / "out.txt";
  CHECK(std::system((bin + " ls '" + tmp.path().string() + "' > '" + out.string() + "'").c_str()) == 0);
  CHECK_THAT(slurp(out), Catch::Contains("b-resumable-20260101-000000") && Catch::Contains("resumable"));
  int rc = std::system((bin + " ls '" + (tmp.path() / "missing").string() + "' 2>/dev/null").c_str());
  CHECK(WEXITSTATUS(rc) == 2);
}

// Issue 13, defect 8: summary.json is rewritten every few minutes, so a killed run
// (or a live one) showed "0/300" with 124 trials done. ls counts trials.jsonl.
TEST_CASE("ls counts finished trials from trials.jsonl, not from a stale summary", "[ls]") {
  TempDir tmp("ls-count");
  SyntheticRun killed;
  killed.trials = 124;
  killed.target = 300;
  killed.state = "running";
  killed.checkpoint = true;
  killed.truncate_last = true;   // killed mid-write: the torn line is no finished trial
  write_synthetic_run(tmp.path() / "k-20260101-000000", killed);
  auto summary = nlohmann::json::parse(slurp(tmp.path() / "k-20260101-000000" / "summary.json"));
  summary["trials_finished"] = 0;
  write_text(tmp.path() / "k-20260101-000000" / "summary.json", summary.dump());
  auto runs = list_runs(tmp.path());
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].trials_finished == 124);
  CHECK(runs[0].trials_target == 300);
}
