// task.baseline_seeds: the statistics of the winner against the reference over other
// seeds (app/seed_comparison.h), and, with LibTorch, a search that retrains both,
// keeps each run in baseline_seeds.json, resumes only the missing ones and reports them.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/config_loader.h"
#include "app/report.h"
#include "app/run_config.h"
#include "app/search_run.h"
#include "app/seed_comparison.h"
#include "common/error.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

TrialResult scored(double score, double params = 1000) {
  TrialResult r;
  r.score = score;
  r.metrics["params"] = params;
  r.metrics["test_per"] = score + 0.01;
  return r;
}

SeedComparison filled(const std::vector<double>& winner, const std::vector<double>& reference) {
  SeedComparison c(static_cast<int>(winner.size()), {1, 2});
  for (size_t i = 0; i < winner.size(); ++i) {
    c.add(false, static_cast<uint32_t>(i + 1), scored(winner[i]));
    c.add(true, static_cast<uint32_t>(i + 1), scored(reference[i], 990));
  }
  return c;
}

}  // namespace

TEST_CASE("mean and standard error over seeds", "[seeds]") {
  const MeanSe m = mean_and_se({1.0, 2.0, 3.0, 4.0});
  CHECK(m.n == 4);
  CHECK(m.mean == Approx(2.5));
  CHECK(m.se == Approx(std::sqrt(5.0 / 3.0 / 4.0)));   // sample variance 5/3
  const MeanSe skip = mean_and_se({1.0, std::nan(""), 3.0});   // a failed seed has no score
  CHECK(skip.n == 2);
  CHECK(skip.mean == Approx(2.0));
  CHECK(std::isnan(mean_and_se({5.0}).se));
  CHECK(std::isnan(mean_and_se({}).mean));
}

TEST_CASE("the verdict compares the difference with twice the combined standard error", "[seeds]") {
  // Error rates (minimize): the winner is clearly lower.
  auto clear = filled({0.10, 0.11, 0.12}, {0.20, 0.21, 0.22}).statistics("val_per", /*minimize=*/true);
  CHECK(clear["difference"].get<double>() == Approx(-0.10));
  CHECK(clear["combined_se"].get<double>() == Approx(std::hypot(0.005773503, 0.005773503)).epsilon(1e-6));
  CHECK(clear["exceeds_twice_se"] == true);
  CHECK(clear["verdict"].get<std::string>().find("the winner is better") == 0);
  CHECK(clear["winner"]["params"] == 1000);
  CHECK(clear["reference"]["params"] == 990);
  CHECK(clear["winner"]["test"]["metric"] == "test_per");   // the validation metric's test counterpart
  CHECK(clear["winner"]["test"]["mean"].get<double>() == Approx(0.12));
  CHECK(clear["winner"]["test"]["n"] == 3);
  CHECK_FALSE(filled({0.1, 0.2}, {0.3, 0.4}).statistics("params", true)["winner"].contains("test"));
  // The same numbers when higher is better: the reference wins.
  auto reversed = filled({0.10, 0.11, 0.12}, {0.20, 0.21, 0.22}).statistics("val_per", /*minimize=*/false);
  CHECK(reversed["verdict"].get<std::string>().find("the reference is better") == 0);
  // Overlapping seeds: no verdict either way.
  auto noise = filled({0.10, 0.20, 0.15}, {0.12, 0.22, 0.17}).statistics("val_per", true);
  CHECK(noise["exceeds_twice_se"] == false);
  CHECK(noise["verdict"].get<std::string>().find("no difference") == 0);
  // One reference seed failed of two: no error estimate for it.
  SeedComparison c(2, {1});
  c.add(false, 1, scored(0.1));
  c.add(false, 2, scored(0.2));
  TrialResult failed;
  failed.status = TrialStatus::timeout;
  failed.metrics["test_per"] = 0.5;   // e.g. reported before it ran out of time
  c.add(true, 1, failed);
  c.add(true, 2, scored(0.3));
  auto few = c.statistics("val_per", true);
  CHECK(few["reference"]["n"] == 1);
  CHECK(few["reference"]["scores"][0].is_null());
  CHECK(few["reference"]["test"]["n"] == 1);   // the failed seed's test figure does not count
  CHECK_FALSE(few.contains("difference"));
  CHECK(few["verdict"].get<std::string>().find("too few") == 0);
}

TEST_CASE("a comparison resumes from its JSON only for the same winner and seed count", "[seeds]") {
  SeedComparison c(3, {4, 5});
  CHECK(c.missing().size() == 6);
  c.add(false, 2, scored(0.5));
  c.add(true, 3, scored(0.6));
  const nlohmann::json j = c.to_json();
  auto back = SeedComparison::resume(j, 3, {4, 5});
  REQUIRE(back);
  CHECK(back->to_json() == j);
  const std::vector<std::pair<bool, uint32_t>> todo = {{false, 1}, {true, 1}, {true, 2}, {false, 3}};
  CHECK(back->missing() == todo);
  CHECK_FALSE(SeedComparison::resume(j, 2, {4, 5}));   // another task.baseline_seeds
  CHECK_FALSE(SeedComparison::resume(j, 3, {4, 6}));   // another winner
  nlohmann::json bad = j;
  bad["winner"][0]["seed"] = 9;
  CHECK_THROWS_WITH(SeedComparison::resume(bad, 3, {4, 5}), Catch::Contains("seed 9 out of range"));
  bad = j;
  bad["reference"][0]["status"] = "fine";
  CHECK_THROWS_WITH(SeedComparison::resume(bad, 3, {4, 5}), Catch::Contains("unknown status 'fine'"));
  CHECK(j["winner"][0]["metrics"]["test_per"].get<double>() == Approx(0.51));   // every metric is kept
}

TEST_CASE("seed runs have pool ids of their own", "[seeds]") {
  std::set<uint64_t> ids;
  for (uint32_t seed = 1; seed <= 1000; ++seed)
    for (bool baseline : {false, true}) {
      const uint64_t id = seed_run_id(baseline, seed);
      CHECK(ids.insert(id).second);
      const auto back = seed_run_of(id);
      REQUIRE(back);
      CHECK(*back == std::make_pair(baseline, seed));
    }
  CHECK_FALSE(ids.count(~uint64_t{0}));   // the single baseline's id
  CHECK_FALSE(seed_run_of(~uint64_t{0}));
  CHECK_FALSE(seed_run_of(0));
  CHECK_FALSE(seed_run_of(123456));
}

TEST_CASE("task.baseline_seeds: one seed is refused, 0 turns the comparison off", "[seeds][config]") {
  const std::string base = "space: {kind: cells, model: decoder_only, decoder: {nodes: 1, ops: [glu]}}\n"
                           "task: {kind: lm, baseline_seeds: ";
  CHECK_THROWS_WITH(load_config_text(base + "1}\n", "s.yaml"),
                    Catch::Contains("task.baseline_seeds") && Catch::Contains("2 or more"));
  CHECK(load_config_text(base + "0}\n", "s.yaml").task.baseline_seeds == 0);
  CHECK(load_config_text(base + "5}\n", "s.yaml").task.baseline_seeds == 5);
  CHECK(load_config_text("space: {kind: cells, model: decoder_only, decoder: {nodes: 1, ops: [glu]}}\n"
                         "task: {kind: lm}\n", "s.yaml").task.baseline_seeds == 3);
}

#ifdef MCTSNAS_HAVE_TORCH
namespace {

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

std::string run_tiny_lm(const fs::path& dir, bool resume) {
  const std::string yaml =
      "name: tiny-lm-seeds\n"
      "seed: 3\n"
      "space:\n"
      "  kind: cells\n"
      "  model: decoder_only\n"
      "  decoder: {nodes: 2, ops: [causal_conv3, causal_local_attention_w8, glu, identity]}\n"
      "  macro: {d_model: [16], decoder_layers: [1]}\n"
      "task: {kind: lm, max_len: 16, baseline: true, baseline_seeds: 2, data: " +
      (test::source_dir() / "data" / "samples").string() +
      "}\n"
      "train: {steps: 6, batch_size: 4, eval_every: 1000}\n"
      "search: {algorithm: random, trials: 2}\n"
      "objective: {metric: val_bpc, goal: minimize}\n"
      "resources: {isolation: inline, per_trial: {cpu_threads: 1}}\n";
  SearchRunOptions o;
  o.config = load_config_text(yaml, "tiny.yaml");
  o.resolved_config_yaml = resolved_yaml(o.config);
  o.run_dir = dir;
  o.resume = resume;
  o.report_every_seconds = 0;
  std::ostringstream out;
  o.out = &out;
  run_search(o);
  return out.str();
}

}  // namespace

TEST_CASE("a search retrains the best and the reference from other seeds and resumes the missing runs",
          "[seeds][torch]") {
  test::TempDir d("seeds");
  const fs::path run = d / "run";
  const std::string first = run_tiny_lm(run, false);
  CHECK(first.find("other seeds each (task.baseline_seeds): 4 runs") != std::string::npos);
  CHECK(first.find("seeds: ") != std::string::npos);
  const auto base = read_json(run / "baseline.json");
  const auto seeds = read_json(run / "baseline_seeds.json");
  REQUIRE(seeds.at("winner").size() == 2);
  REQUIRE(seeds.at("reference").size() == 2);
  for (const char* side : {"winner", "reference"})
    for (const auto& r : seeds.at(side)) {
      CHECK(r.at("status") == "ok");
      CHECK(std::isfinite(r.at("score").get<double>()));
    }
  // Other seeds train other models: neither seed repeats the other nor the search's run.
  const double w1 = seeds["winner"][0]["score"], w2 = seeds["winner"][1]["score"];
  const auto summary = read_json(run / "summary.json");
  CHECK(w1 != w2);
  CHECK(w1 != summary["best"]["score"].get<double>());
  CHECK(seeds["reference"][0]["score"].get<double>() != base["summary"]["score"].get<double>());
  // The reference is sized to the winner; every metric of a run is kept.
  CHECK(seeds["reference"][0]["metrics"]["params"].get<double>() > 0);
  CHECK(seeds["winner"][0]["metrics"].contains("latency_ms_b1"));
  const auto& stats = summary.at("baseline_seeds");
  CHECK(stats["seeds"] == 2);
  CHECK(stats["winner"]["n"] == 2);
  CHECK(stats["winner"]["mean"].get<double>() == Approx((w1 + w2) / 2));
  CHECK(stats.contains("exceeds_twice_se"));
  CHECK(stats["reference"]["test"]["metric"] == "test_bpc");
  std::ifstream html(run / "report.html");
  const std::string report((std::istreambuf_iterator<char>(html)), {});
  CHECK(report.find("id=\"seeds-table\"") != std::string::npos);

  // A run lost before it was written: resume trains that one alone, from the same seed.
  nlohmann::json cut = seeds;
  cut["winner"].erase(1);
  test::write_text(run / "baseline_seeds.json", cut.dump(2));
  const std::string second = run_tiny_lm(run, true);
  CHECK(second.find(": 1 runs") != std::string::npos);
  CHECK(second.find("winner-seed2: ok") != std::string::npos);
  CHECK(second.find("baseline-seed") == std::string::npos);
  const auto again = read_json(run / "baseline_seeds.json");
  for (const char* side : {"winner", "reference"}) {   // seed 2 again gives the same score (times differ)
    REQUIRE(again[side].size() == 2);
    for (size_t i = 0; i < 2; ++i) {
      CHECK(again[side][i]["seed"] == seeds[side][i]["seed"]);
      CHECK(again[side][i]["score"] == seeds[side][i]["score"]);
      CHECK(again[side][i]["metrics"]["test_bpc"] == seeds[side][i]["metrics"]["test_bpc"]);
    }
  }
}
#endif
