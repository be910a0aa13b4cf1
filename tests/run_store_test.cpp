// Issue 13: the run directory as a trusted store. Each test reproduces one of the
// defects found by probing (numbered as in the issue) or one of its messages.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/checkpoint.h"
#include "app/config_fingerprint.h"
#include "app/config_loader.h"
#include "app/search_run.h"
#include "common/atomic_file.h"
#include "common/binary_io.h"
#include "space/space_options.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

SearchRunResult run(const RunOptions& cfg, const fs::path& dir, bool resume,
                    std::optional<int64_t> stop_after = std::nullopt, std::ostream* err = nullptr) {
  SearchRunOptions o;
  o.config = cfg;
  o.resolved_config_yaml = resolved_yaml(cfg);   // what `resume` on the command line reads
  o.run_dir = dir;
  o.resume = resume;
  o.max_trials_this_process = stop_after;
  o.err = err;
  return run_search(o);
}

// A run of `trials` stopped after `done`: resumable, with tree.ckpt and tree.ckpt.prev.
RunOptions stopped_run(const fs::path& dir, int64_t trials = 20, int64_t done = 8) {
  RunOptions cfg = test::nb201_run_options("mcts", 3, trials);
  run(cfg, dir, false, done);
  return cfg;
}

}  // namespace

TEST_CASE("1: search --run-dir never overwrites a directory that holds results", "[run_store]") {
  test::TempDir d;
  auto cfg = stopped_run(d / "r");
  const std::string log = read_file(d / "r" / "trials.jsonl");
  fs::remove(d / "r" / "tree.ckpt");
  fs::remove(d / "r" / "tree.ckpt.prev");
  auto fewer = cfg;
  fewer.search.trials = 5;
  CHECK_THROWS_WITH(run(fewer, d / "r", false),
                    Catch::Contains("already holds a run (trials.jsonl)") && Catch::Contains("mctsnas resume"));
  CHECK(read_file(d / "r" / "trials.jsonl") == log);
  // What resume says then: the trials stay, and how to go on.
  CHECK_THROWS_WITH(run(cfg, d / "r", true), Catch::Contains("no tree.ckpt.prev") && Catch::Contains("new run"));
}

TEST_CASE("3: files the run writes never follow a planted symlink", "[run_store]") {
  test::TempDir d;
  auto cfg = stopped_run(d / "r");
  test::write_text(d / "victim", "precious\n");
  fs::create_symlink(d / "victim", d / "r" / "summary.json.tmp");
  fs::create_symlink(d / "victim", d / "r" / "tree.ckpt.tmp");
  auto res = run(cfg, d / "r", true);
  CHECK(res.finished);
  CHECK(read_file(d / "victim") == "precious\n");
  CHECK_FALSE(fs::is_symlink(d / "r" / "summary.json"));

  // A symlinked trials.jsonl is refused, not appended to.
  test::TempDir e;
  auto cfg2 = stopped_run(e / "r");
  fs::copy_file(e / "r" / "trials.jsonl", d / "victim2");
  const std::string before = read_file(d / "victim2");
  fs::remove(e / "r" / "trials.jsonl");
  fs::create_symlink(d / "victim2", e / "r" / "trials.jsonl");
  CHECK_THROWS_WITH(run(cfg2, e / "r", true), Catch::Contains("symlink"));
  CHECK(read_file(d / "victim2") == before);
}

TEST_CASE("4: a result-affecting config edit between stop and resume is refused, naming the keys", "[run_store]") {
  test::TempDir d;
  auto cfg = stopped_run(d / "r");
  auto flipped = cfg;
  flipped.objective.goal = Goal::minimize;
  CHECK_THROWS_WITH(run(flipped, d / "r", true),
                    Catch::Contains("objective.goal was 'maximize', now 'minimize'") &&
                        Catch::Contains("changed since the run started"));
  auto other_table = cfg;
  fs::copy_file(test::nb201_table(), d / "other.csv");
  other_table.task.table = (d / "other.csv").string();
  CHECK_THROWS_WITH(run(other_table, d / "r", true), Catch::Contains("task.table was"));
  // Allowed: the trial target and the resources.
  auto more = cfg;
  more.search.trials = 25;
  more.resources.per_trial.wall_time = 60;
  auto res = run(more, d / "r", true);
  CHECK(res.finished);
  CHECK(res.trials == 25);
}

TEST_CASE("config fingerprint: every key but the listed ones counts", "[run_store]") {
  std::string a = config_fingerprint("name: a\nseed: 1\nsearch: {trials: 5, parallel: 2}\nresources: {devices: cpu}\n");
  std::string b = config_fingerprint("name: b\nseed: 1\nsearch: {trials: 9, parallel: 2}\nresources: {devices: auto}\n");
  CHECK(fingerprint_diff(a, b).empty());
  std::string c = config_fingerprint("name: a\nseed: 2\nsearch: {trials: 5, parallel: 3}\n");
  CHECK(fingerprint_diff(a, c) == "search.parallel was '2', now '3'; seed was '1', now '2'");
  // A key an older mctsnas did not have: no difference at its default, one otherwise.
  const std::string defaults = config_fingerprint("task: {baseline_seeds: 3}\n");
  std::string newer = config_fingerprint("name: a\nseed: 1\nsearch: {trials: 5, parallel: 2}\ntask: {baseline_seeds: 3}\n");
  CHECK(fingerprint_diff(a, newer, defaults).empty());
  newer = config_fingerprint("name: a\nseed: 1\nsearch: {trials: 5, parallel: 2}\ntask: {baseline_seeds: 5}\n");
  CHECK(fingerprint_diff(a, newer, defaults) == "task.baseline_seeds was absent, now '5'");
  CHECK(fingerprint_diff(a, newer).find("task.baseline_seeds was absent") != std::string::npos);
}

TEST_CASE("7: a crafted tree.ckpt with an illegal best architecture is refused", "[run_store]") {
  test::TempDir d;
  auto cfg = stopped_run(d / "r");
  CheckpointState ck = read_checkpoint(d / "r" / "tree.ckpt");
  REQUIRE(ck.best_id);
  auto bad = ck;
  bad.best_choices = {9, 9, 9, 9, 9, 9, 9, 9};
  write_file_atomically(d / "r" / "tree.ckpt", encode_checkpoint(bad));
  CHECK_THROWS_WITH(run(cfg, d / "r", true), Catch::Contains("best architecture") && Catch::Contains("not a legal"));
  bad = ck;
  bad.best_score = std::nan("");
  write_file_atomically(d / "r" / "tree.ckpt", encode_checkpoint(bad));
  CHECK_THROWS_WITH(run(cfg, d / "r", true), Catch::Contains("best score is not a finite number"));
  bad = ck;
  bad.in_flight.push_back({1000, {0, 0}, ""});
  write_file_atomically(d / "r" / "tree.ckpt", encode_checkpoint(bad));
  CHECK_THROWS_WITH(run(cfg, d / "r", true), Catch::Contains("in-flight trial 1000"));
  write_file_atomically(d / "r" / "tree.ckpt", encode_checkpoint(ck));
  CHECK(run(cfg, d / "r", true).finished);
}

TEST_CASE("messages: a damaged tree.ckpt falls back to tree.ckpt.prev with a warning", "[run_store]") {
  test::TempDir d;
  auto cfg = stopped_run(d / "full_first", 20, 20);
  auto part = stopped_run(d / "r");
  REQUIRE(fs::exists(d / "r" / "tree.ckpt.prev"));
  test::write_text(d / "r" / "tree.ckpt", "garbage");
  std::ostringstream err;
  auto res = run(part, d / "r", true, std::nullopt, &err);
  CHECK_THAT(err.str(), Catch::Contains("resuming from tree.ckpt.prev"));
  CHECK(res.finished);
  CHECK(test::trial_lines_without_times(d / "r" / "trials.jsonl") ==
        test::trial_lines_without_times(d / "full_first" / "trials.jsonl"));
  // Both damaged: one error naming both.
  test::write_text(d / "r" / "tree.ckpt", "garbage");
  test::write_text(d / "r" / "tree.ckpt.prev", "garbage");
  CHECK_THROWS_WITH(run(part, d / "r", true),
                    Catch::Contains("tree.ckpt: checkpoint truncated") && Catch::Contains("and tree.ckpt.prev"));
}

TEST_CASE("messages: another run's checkpoint, and a garbage line, are named as such", "[run_store]") {
  test::TempDir d;
  auto cfg = stopped_run(d / "a", 20, 10);
  auto cfg_b = test::nb201_run_options("mcts", 3, 20);
  run(cfg_b, d / "b", false, 4);
  // b's trials.jsonl is shorter than a's checkpoint says.
  fs::copy_file(d / "a" / "tree.ckpt", d / "b" / "tree.ckpt", fs::copy_options::overwrite_existing);
  CHECK_THROWS_WITH(run(cfg, d / "b", true), Catch::Contains("comes from another run directory"));
  CHECK_THROWS_WITH(run(cfg, d / "b", true), !Catch::Contains("lost outside mctsnas"));

  // A garbage line in the middle is reported at its own line, not further on.
  std::string text = read_file(d / "a" / "trials.jsonl");
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 10);
  lines[4] = "this is not json at all, and it is not the same length either";
  std::string edited;
  for (const auto& l : lines) edited += l + "\n";
  test::write_text(d / "a" / "trials.jsonl", edited);
  CHECK_THROWS_WITH(run(cfg, d / "a", true), Catch::Contains("trials.jsonl:5: not valid JSON"));
}

TEST_CASE("messages: a full disk is an IoError and leaves no temp file", "[run_store]") {
  test::TempDir d;
  rlimit old{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);   // EFBIG instead of the signal
  rlimit small = old;
  small.rlim_cur = 4096;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  bool io_error = false;
  try {
    write_file_atomically(d / "summary.json", std::string(10000, 'x'));
  } catch (const IoError& e) {
    io_error = std::string(e.what()).find("summary.json.tmp") != std::string::npos;
  }
  setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  CHECK(io_error);
  CHECK_FALSE(fs::exists(d / "summary.json.tmp"));
  CHECK_FALSE(fs::exists(d / "summary.json"));
}

// The same on the command line, with a real file-size limit: `resume` stops with
// exit 1 (not 2: the input is fine), names the file, prints the resume command and
// leaves no temporary file; resumed with room, the run ends as an uninterrupted one.
TEST_CASE("messages: a full disk during resume exits 1 with the resume command", "[run_store]") {
  test::TempDir d;
  auto cfg = stopped_run(d / "whole", 20, 20);
  cfg = stopped_run(d / "r");
  REQUIRE(fs::file_size(d / "r" / "trials.jsonl") > 4096);   // every append is past the limit
  // ulimit -f counts 1 KiB blocks; SIGXFSZ ignored: the write fails with EFBIG instead.
  const std::string cmd = "ulimit -f 4; trap '' XFSZ; '" + test::mctsnas_binary() + "' resume '" +
                          (d / "r").string() + "' > '" + (d / "log").string() + "' 2>&1";
  const int rc = std::system(("bash -c \"" + cmd + "\"").c_str());
  const std::string log = read_file(d / "log");
  INFO(log);
  REQUIRE(WIFEXITED(rc));
  CHECK(WEXITSTATUS(rc) == 1);
  CHECK_THAT(log, Catch::Contains("File too large") && Catch::Contains("resume with: ") &&
                      Catch::Contains(" resume " + (d / "r").string()));
  for (const auto& e : fs::directory_iterator(d / "r")) CHECK(e.path().extension() != ".tmp");
  CHECK(run(cfg, d / "r", true).finished);
  CHECK(test::trial_lines_without_times(d / "r" / "trials.jsonl") ==
        test::trial_lines_without_times(d / "whole" / "trials.jsonl"));
}

// Issue 13, defect 10: Ctrl-C while a table loads printed "stopping at once" and was
// then ignored. The table here is a FIFO nobody writes: loading blocks for ever
// unless the signal ends it.
TEST_CASE("10: a stop signal during loading ends the process at once", "[run_store]") {
  test::TempDir d;
  REQUIRE(::mkfifo((d / "table.csv").c_str(), 0600) == 0);
  test::write_text(d / "c.yaml", "name: fifo\nspace: {kind: nb201}\ntask: {kind: table, table: " +
                                     (d / "table.csv").string() + "}\nsearch: {trials: 3}\n");
  pid_t pid = test::spawn_logged({test::mctsnas_binary(), "search", (d / "c.yaml").string(), "--run-dir",
                                  (d / "run").string()},
                                 d / "log");
  REQUIRE(pid > 0);
  // Once the search has the FIFO open for reading, a writer can open it: from then
  // on the search is loading the table (blocked reading it), its handlers installed.
  int writer = -1;
  for (int i = 0; i < 600 && writer < 0; ++i) {
    writer = ::open((d / "table.csv").c_str(), O_WRONLY | O_NONBLOCK);
    if (writer < 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(writer >= 0);
  REQUIRE(::kill(pid, SIGINT) == 0);
  int status = 0;
  pid_t r = 0;
  for (int i = 0; i < 200 && r == 0; ++i) {
    r = ::waitpid(pid, &status, WNOHANG);
    if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (r == 0) {   // still loading after 10 s: the signal was ignored
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ::close(writer);
  INFO(read_file(d / "log"));
  CHECK(r == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK_THAT(read_file(d / "log"), Catch::Contains("stopped while loading"));
  CHECK_FALSE(fs::exists(d / "run" / "trials.jsonl"));
}
