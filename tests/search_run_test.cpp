#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "app/checkpoint.h"
#include "app/run_lock.h"
#include "app/search_run.h"
#include "common/atomic_file.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

RunOptions nb201_options(const std::string& algorithm, uint64_t seed, int64_t trials, int parallel = 1) {
  RunOptions o = test::nb201_run_options(algorithm, seed, trials);
  o.search.parallel = parallel;
  return o;
}

SearchRunResult run(const RunOptions& cfg, const fs::path& dir, bool resume,
                    std::optional<int64_t> stop_after = std::nullopt, std::ostream* err = nullptr) {
  SearchRunOptions o;
  o.config = cfg;
  o.resolved_config_yaml = "name: t\n";
  o.run_dir = dir;
  o.resume = resume;
  o.max_trials_this_process = stop_after;
  o.err = err;
  return run_search(o);
}

void check_ids_dense(const fs::path& jsonl, int64_t n) {
  std::ifstream in(jsonl);
  std::string line;
  std::set<uint64_t> ids;
  int64_t count = 0;
  while (std::getline(in, line)) {
    ids.insert(nlohmann::json::parse(line).at("id").get<uint64_t>());
    ++count;
  }
  CHECK(count == n);                        // nothing doubled
  CHECK(static_cast<int64_t>(ids.size()) == n);  // nothing lost
}

}  // namespace

TEST_CASE("same seed gives identical trials; another seed another order", "[search_run]") {
  for (std::string algo : {"random", "mcts", "evolution", "local"}) {
    DYNAMIC_SECTION(algo) {
      test::TempDir d;
      run(nb201_options(algo, 7, 60), d / "a", false);
      run(nb201_options(algo, 7, 60), d / "b", false);
      run(nb201_options(algo, 8, 60), d / "c", false);
      auto a = test::trial_lines_without_times(d / "a" / "trials.jsonl");
      auto b = test::trial_lines_without_times(d / "b" / "trials.jsonl");
      auto c = test::trial_lines_without_times(d / "c" / "trials.jsonl");
      REQUIRE(a.size() == 60);
      CHECK(a == b);
      CHECK(a != c);
    }
  }
}

TEST_CASE("a stopped and resumed run equals an uninterrupted one", "[search_run]") {
  for (int parallel : {1, 4}) {
    for (std::string algo : {"random", "mcts", "evolution", "local"}) {
      DYNAMIC_SECTION(algo << " parallel " << parallel) {
        test::TempDir d;
        auto cfg = nb201_options(algo, 3, 50, parallel);
        auto full = run(cfg, d / "full", false);
        CHECK(full.finished);
        auto r = run(cfg, d / "part", false, 7);
        CHECK_FALSE(r.finished);
        // Trials already running when the stop came finish and are kept.
        CHECK(r.trials >= 7);
        for (int i = 0; i < 4; ++i) run(cfg, d / "part", true, 9);
        auto last = run(cfg, d / "part", true);
        CHECK(last.finished);
        CHECK(last.trials == 50);
        CHECK(test::trial_lines_without_times(d / "part" / "trials.jsonl") ==
              test::trial_lines_without_times(d / "full" / "trials.jsonl"));
        check_ids_dense(d / "part" / "trials.jsonl", 50);
        CHECK(last.best_id == full.best_id);
      }
    }
  }
}

TEST_CASE("trials finished after the last checkpoint are replayed, not re-run or doubled", "[search_run]") {
  test::TempDir d;
  auto cfg = nb201_options("mcts", 5, 40, 2);
  run(cfg, d / "full", false);
  fs::path dir = d / "part";
  run(cfg, dir, false, 10);
  std::string ckpt = read_file(dir / "tree.ckpt");
  // Two more trials reach trials.jsonl, then the process "dies" with the older checkpoint on disk.
  run(cfg, dir, true, 2);
  test::write_text(dir / "tree.ckpt", ckpt);
  auto last = run(cfg, dir, true);
  CHECK(last.trials == 40);
  CHECK(test::trial_lines_without_times(dir / "trials.jsonl") ==
        test::trial_lines_without_times(d / "full" / "trials.jsonl"));
  check_ids_dense(dir / "trials.jsonl", 40);
}

TEST_CASE("a torn last line in trials.jsonl is cut with a warning", "[search_run]") {
  test::TempDir d;
  auto cfg = nb201_options("random", 5, 30);
  run(cfg, d / "full", false);
  fs::path dir = d / "part";
  run(cfg, dir, false, 10);
  {
    std::ofstream out(dir / "trials.jsonl", std::ios::app);
    out << "{\"id\": 10, \"arch\": \"|nor_co";
  }
  std::ostringstream err;
  auto last = run(cfg, dir, true, std::nullopt, &err);
  CHECK_THAT(err.str(), Catch::Contains("cut a torn last line"));
  CHECK(last.trials == 30);
  CHECK(test::trial_lines_without_times(dir / "trials.jsonl") ==
        test::trial_lines_without_times(d / "full" / "trials.jsonl"));
}

TEST_CASE("resume errors are clear", "[search_run]") {
  test::TempDir d;
  auto cfg = nb201_options("random", 1, 5);
  CHECK_THROWS_WITH(run(cfg, d / "missing", true), Catch::Contains("no such run directory"));
  run(cfg, d / "r", false);
  CHECK_THROWS_WITH(run(cfg, d / "r", false), Catch::Contains("already holds a run"));
  auto other = cfg;
  other.search.algorithm = "evolution";
  CHECK_THROWS_WITH(run(other, d / "r", true), Catch::Contains("was written by algorithm 'random'"));
  test::write_text(d / "r" / "tree.ckpt", "garbage");
  CHECK_THROWS_WITH(run(cfg, d / "r", true), Catch::Contains("tree.ckpt: checkpoint truncated"));
}

TEST_CASE("a run directory held by a live process is refused, and freed when it ends", "[search_run]") {
  test::TempDir d;
  auto cfg = nb201_options("random", 1, 6);
  run(cfg, d / "r", false, 3);  // stopped after 3: resumable
  const std::string log_before = read_file(d / "r" / "trials.jsonl");
  {
    RunLock other = RunLock::acquire(d / "r");  // stands in for a second mctsnas process
    const std::string pid = "(pid " + std::to_string(getpid()) + ")";
    CHECK_THROWS_WITH(run(cfg, d / "r", true), Catch::Contains("in use by another mctsnas process " + pid));
    CHECK_THROWS_WITH(run(cfg, d / "r", false), Catch::Contains("in use by another mctsnas process " + pid));
    CHECK(RunLock::holder(d / "r") == static_cast<long>(getpid()));
    CHECK(read_file(d / "r" / "trials.jsonl") == log_before);  // the refused runs wrote nothing
  }
  CHECK_FALSE(RunLock::holder(d / "r").has_value());
  auto res = run(cfg, d / "r", true);
  CHECK(res.finished);
  CHECK(res.trials == 6);
}

TEST_CASE("summary.json and the run directory", "[search_run]") {
  test::TempDir d;
  auto r = run(nb201_options("random", 2, 20), d / "r", false);
  for (const char* f : {"config.resolved.yaml", "trials.jsonl", "tree.ckpt", "summary.json"})
    CHECK(fs::exists(d / "r" / f));
  auto s = nlohmann::json::parse(read_file(d / "r" / "summary.json"));
  CHECK(s["state"] == "finished");
  CHECK(s["trials_finished"] == 20);
  CHECK(s["best"]["id"].get<uint64_t>() == *r.best_id);
  CHECK(s["best"]["score"].get<double>() == r.best_score);
}
