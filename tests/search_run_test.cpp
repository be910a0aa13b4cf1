#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "app/checkpoint.h"
#include "app/config_loader.h"
#include "app/run_lock.h"
#include "app/search_run.h"
#include "common/atomic_file.h"
#include "common/error.h"
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
  fs::remove(d / "r" / "tree.ckpt.prev");   // (with it, resume falls back to it: run_store_test)
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

namespace {

// Each time the progress output is flushed (after every line Progress prints), reads
// summary.json and keeps (trials on the progress line, trials_finished in the summary).
class SummaryProbe : public std::stringbuf {
 public:
  explicit SummaryProbe(fs::path summary) : summary_(std::move(summary)) {}
  std::vector<std::pair<int64_t, int64_t>> seen;

 protected:
  int sync() override {
    const std::string text = str();
    const size_t at = text.rfind("trials ");
    if (at != std::string::npos && fs::exists(summary_)) {
      const int64_t shown = std::stoll(text.substr(at + 7));
      seen.emplace_back(shown, nlohmann::json::parse(read_file(summary_)).at("trials_finished").get<int64_t>());
    }
    return 0;
  }

 private:
  fs::path summary_;
};

}  // namespace

TEST_CASE("summary.json is rewritten after every trial", "[search_run]") {
  test::TempDir d;
  SummaryProbe probe(d / "r" / "summary.json");
  std::ostream out(&probe);
  SearchRunOptions o;
  o.config = nb201_options("random", 3, 40);
  o.resolved_config_yaml = "name: t\n";
  o.run_dir = d / "r";
  o.out = &out;
  o.report_every_seconds = 0;   // no timer: only the per-trial refresh can keep it current
  run_search(o);
  REQUIRE(probe.seen.size() >= 3);   // a line per new best at least
  for (const auto& [shown, in_summary] : probe.seen) CHECK(in_summary == shown);
}

TEST_CASE("a resumed run's target below its finished trials is refused", "[search_run]") {
  test::TempDir d;
  auto cfg = nb201_options("random", 1, 10);
  run(cfg, d / "r", false, 6);   // stopped after 6
  SearchRunOptions o;
  o.config = cfg;
  o.run_dir = d / "r";
  o.resume = true;
  o.trials_from_flag = true;
  o.config.search.trials = 5;
  CHECK_THROWS_WITH(run_search(o), Catch::Contains("--trials 5: must be >= 6"));
  o.config.search.trials = 0;
  CHECK_THROWS_WITH(run_search(o), Catch::Contains("--trials 0: must be >= 6"));
  o.config.search.trials = 6;   // no new trials (the one in flight at the stop still runs), but not a mistake
  SearchRunResult r = run_search(o);
  CHECK(r.finished);
  CHECK(r.trials >= 6);
}

TEST_CASE("a file where the run directory would go is bad input", "[search_run]") {
  test::TempDir d;
  test::write_text(d / "afile", "x");
  auto cfg = nb201_options("random", 1, 3);
  CHECK_THROWS_AS(run(cfg, d / "afile", false), Error);
  CHECK_THROWS_WITH(run(cfg, d / "afile", false), Catch::Contains("afile: exists and is not a directory"));
  CHECK_THROWS_WITH(run(cfg, d / "afile" / "run", false),
                    Catch::Contains("afile: exists and is not a directory (a folder of the run directory"));
  CHECK_THROWS_WITH(run(cfg, d / "afile", true), Catch::Contains("no such run directory"));
}

TEST_CASE("more trials than the space holds: a warning, then the space is exhausted", "[search_run]") {
  test::TempDir d;
  const std::string yaml =
      test::fault_config("tiny", 1, {"ok"}, 3, "search: {algorithm: random, trials: 10}\nresources: {isolation: inline}\n", 1);
  SearchRunOptions o;
  o.config = load_config_text(yaml, (d / "c.yaml").string());
  o.resolved_config_yaml = yaml;
  o.run_dir = d / "r";
  std::ostringstream err;
  o.err = &err;
  SearchRunResult r = run_search(o);
  CHECK_THAT(err.str(), Catch::Contains("search.trials = 10 is more than the 3 architectures of the space"));
  CHECK(r.finished);
  CHECK(r.exhausted);
  CHECK(r.trials == 3);
}

TEST_CASE("trials.jsonl times: ISO-8601 UTC and seconds since the run began", "[search_run]") {
  test::TempDir d;
  run(nb201_options("random", 1, 3), d / "r", false);
  std::ifstream in(d / "r" / "trials.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    const std::string at = j.at("started_at").get<std::string>();
    INFO(at);
    CHECK(at.size() == 24);
    CHECK(at[4] == '-');
    CHECK(at[10] == 'T');
    CHECK(at.back() == 'Z');
    CHECK(j.at("finished_at").get<std::string>() >= at);
    CHECK(j.at("started_s").get<double>() >= 0);
    CHECK(j.at("finished_s").get<double>() >= j.at("started_s").get<double>());
    ++n;
  }
  CHECK(n == 3);
}

// A prefix tree's most visited path runs through partial architectures, which the
// space's key() cannot name: search_stats.json (and so the report) was not written.
TEST_CASE("a prefix-tree run writes its most visited path and its report", "[search_run]") {
  test::TempDir d;
  RunOptions cfg = nb201_options("mcts", 3, 12);
  cfg.search.mcts.tree = TreeShape::prefix;
  std::ostringstream err;
  CHECK(run(cfg, d / "r", false, std::nullopt, &err).finished);
  CHECK(err.str().find("could not write the report") == std::string::npos);
  const auto stats = nlohmann::json::parse(read_file(d / "r" / "search_stats.json"));
  const auto& path = stats.at("most_visited_path");
  REQUIRE(path.size() >= 2);
  CHECK(path[0] == "(no decision yet)");
  CHECK(path[1].get<std::string>().rfind("edge_", 0) == 0);   // "edge_1_0=<op>": the first decision made
  CHECK(fs::exists(d / "r" / "report.html"));
}

namespace {

RunOptions pareto_options(const std::string& algorithm, uint64_t seed, int64_t trials, int parallel) {
  RunOptions o = nb201_options(algorithm, seed, trials, parallel);
  o.task.cost_columns.params = "conv_weights";
  o.objective.metrics = {"test_accuracy", "params"};
  o.objective.goals = {Goal::maximize, Goal::minimize};
  return o;
}

// The ids of the ok trials in trials.jsonl that no other ok trial dominates, by brute force.
std::vector<uint64_t> front_of_log(const fs::path& jsonl) {
  std::vector<std::pair<uint64_t, std::pair<double, double>>> pts;
  std::ifstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["status"] != "ok") continue;
    pts.push_back({j["id"].get<uint64_t>(), {j["metrics"]["test_accuracy"].get<double>(),
                                             j["metrics"]["params"].get<double>()}});
  }
  std::vector<uint64_t> front;
  for (const auto& [id, p] : pts) {
    bool dominated = false;
    for (const auto& [other, q] : pts)
      dominated |= q.first >= p.first && q.second <= p.second && (q.first > p.first || q.second < p.second);
    if (!dominated) front.push_back(id);
  }
  std::sort(front.begin(), front.end());
  return front;
}

std::vector<uint64_t> front_of_summary(const fs::path& summary) {
  std::vector<uint64_t> ids;
  const auto j = nlohmann::json::parse(read_file(summary));   // (kept alive through the loop)
  for (const auto& t : j.at("pareto").at("trials")) ids.push_back(t["id"]);
  return ids;
}

}  // namespace

TEST_CASE("a Pareto search lists its front in summary.json, resumed or not", "[search_run]") {
  for (std::string algo : {"mcts", "evolution", "evolution_nsga2"}) {
    DYNAMIC_SECTION(algo) {
      test::TempDir d;
      auto cfg = pareto_options(algo == "evolution_nsga2" ? "evolution" : algo, 4, 60, 3);
      if (algo == "evolution_nsga2") cfg.search.evolution.pareto_selection = ParetoSelection::nsga2;
      CHECK(run(cfg, d / "full", false).finished);
      const auto front = front_of_log(d / "full" / "trials.jsonl");
      CHECK(front.size() >= 3);
      CHECK(front_of_summary(d / "full" / "summary.json") == front);
      auto s = nlohmann::json::parse(read_file(d / "full" / "summary.json"));
      CHECK(s["pareto"]["metrics"] == nlohmann::json{"test_accuracy", "params"});
      CHECK(s["pareto"]["goals"] == nlohmann::json{"maximize", "minimize"});
      // Cheap architectures are searched too, not only the most accurate ones.
      double cheapest = 1e9;
      for (const auto& t : s["pareto"]["trials"]) cheapest = std::min(cheapest, t["metrics"]["params"].get<double>());
      CHECK(cheapest <= 10);

      run(cfg, d / "part", false, 11);
      for (int i = 0; i < 3; ++i) run(cfg, d / "part", true, 13);
      CHECK(run(cfg, d / "part", true).finished);
      CHECK(test::trial_lines_without_times(d / "part" / "trials.jsonl") ==
            test::trial_lines_without_times(d / "full" / "trials.jsonl"));
      CHECK(front_of_summary(d / "part" / "summary.json") == front);

      auto other = cfg;
      other.seed = 5;
      run(other, d / "other", false);
      CHECK(test::trial_lines_without_times(d / "other" / "trials.jsonl") !=
            test::trial_lines_without_times(d / "full" / "trials.jsonl"));
    }
  }
  test::TempDir d;
  run(nb201_options("mcts", 4, 10), d / "single", false);
  CHECK_FALSE(nlohmann::json::parse(read_file(d / "single" / "summary.json")).contains("pareto"));
}
