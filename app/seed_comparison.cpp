#include "app/seed_comparison.h"

#include <cmath>

#include "common/error.h"

namespace mctsnas {

namespace {

constexpr uint64_t kTopId = ~uint64_t{0};   // the single baseline's id
constexpr uint32_t kMaxSeeds = 1000;         // task.baseline_seeds' bound

const char* model_name(bool baseline) { return baseline ? "reference" : "winner"; }

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json side_statistics(const std::map<uint32_t, SeedRun>& runs, const std::string& test_metric) {
  std::vector<double> scores, tests;
  nlohmann::json all = nlohmann::json::array();
  double params = 0;
  for (const auto& [seed, r] : runs) {
    scores.push_back(r.score);
    all.push_back(number_or_null(r.score));
    if (auto p = r.metrics.find("params"); p != r.metrics.end()) params = p->second;
    auto t = r.metrics.find(test_metric);
    tests.push_back(t != r.metrics.end() && has_score(r.status) ? t->second : std::nan(""));
  }
  const MeanSe m = mean_and_se(scores);
  nlohmann::json j = {{"n", m.n}, {"mean", number_or_null(m.mean)}, {"se", number_or_null(m.se)}, {"scores", all},
                      {"params", params}};
  if (const MeanSe t = mean_and_se(tests); t.n > 0)
    j["test"] = {{"metric", test_metric}, {"n", t.n}, {"mean", t.mean}, {"se", number_or_null(t.se)}};
  return j;
}

}  // namespace

MeanSe mean_and_se(const std::vector<double>& values) {
  MeanSe m;
  double sum = 0;
  for (double v : values)
    if (std::isfinite(v)) {
      sum += v;
      ++m.n;
    }
  m.mean = m.n ? sum / m.n : std::nan("");
  if (m.n < 2) {
    m.se = std::nan("");
    return m;
  }
  double ss = 0;
  for (double v : values)
    if (std::isfinite(v)) ss += (v - m.mean) * (v - m.mean);
  m.se = std::sqrt(ss / (m.n - 1) / m.n);
  return m;
}

SeedComparison::SeedComparison(int seeds, std::vector<Choice> winner) : n_(seeds), winner_(std::move(winner)) {}

std::optional<SeedComparison> SeedComparison::resume(const nlohmann::json& seeds, int n,
                                                      const std::vector<Choice>& winner) {
  if (!seeds.is_object() || seeds.value("n", 0) != n || seeds.value("like", std::vector<Choice>{}) != winner)
    return std::nullopt;
  SeedComparison c(n, winner);
  for (bool baseline : {false, true})
    for (const auto& r : seeds.at(model_name(baseline))) {
      const auto seed = r.at("seed").get<uint32_t>();
      if (seed < 1 || seed > static_cast<uint32_t>(n)) throw Error("seed " + std::to_string(seed) + " out of range");
      const nlohmann::json& score = r.at("score");
      const auto status_name = r.at("status").get<std::string>();
      const auto status = trial_status_from_string(status_name);
      if (!status) throw Error("unknown status '" + status_name + "'");
      SeedRun run{*status, score.is_null() ? std::nan("") : score.get<double>(), {}};
      for (const auto& [k, v] : r.at("metrics").items()) run.metrics[k] = v.is_null() ? std::nan("") : v.get<double>();
      c.runs_[baseline][seed] = std::move(run);
    }
  return c;
}

std::vector<std::pair<bool, uint32_t>> SeedComparison::missing() const {
  std::vector<std::pair<bool, uint32_t>> out;
  for (uint32_t seed = 1; seed <= static_cast<uint32_t>(n_); ++seed)
    for (bool baseline : {false, true})
      if (!runs_[baseline].count(seed)) out.emplace_back(baseline, seed);
  return out;
}

void SeedComparison::add(bool baseline, uint32_t seed, const TrialResult& r) {
  runs_[baseline][seed] = {r.status, has_score(r.status) ? r.score : std::nan(""), r.metrics};
}

nlohmann::json SeedComparison::to_json() const {
  nlohmann::json j = {{"n", n_}, {"like", winner_}};
  for (bool baseline : {false, true}) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& [seed, r] : runs_[baseline]) {
      nlohmann::json metrics = nlohmann::json::object();
      for (const auto& [k, v] : r.metrics) metrics[k] = number_or_null(v);
      runs.push_back({{"seed", seed},
                      {"status", to_string(r.status)},
                      {"score", number_or_null(r.score)},
                      {"metrics", metrics}});
    }
    j[model_name(baseline)] = runs;
  }
  return j;
}

// The difference is called real when it exceeds twice the combined standard error
// (about a 95% two-sided interval that excludes zero, for normal seed noise).
nlohmann::json SeedComparison::statistics(const std::string& metric, bool minimize) const {
  const std::string test = metric.rfind("val_", 0) == 0 ? "test_" + metric.substr(4) : "";
  nlohmann::json w = side_statistics(runs_[0], test), r = side_statistics(runs_[1], test);
  nlohmann::json j = {{"seeds", n_}, {"winner", w}, {"reference", r}};
  if (w["n"].get<int>() < 2 || r["n"].get<int>() < 2) {
    j["verdict"] = "too few seeds finished for an error estimate";
    return j;
  }
  const double diff = w["mean"].get<double>() - r["mean"].get<double>();
  const double se = std::hypot(w["se"].get<double>(), r["se"].get<double>());
  const bool real = std::fabs(diff) > 2 * se;
  j["difference"] = diff;
  j["combined_se"] = se;
  j["exceeds_twice_se"] = real;
  const bool winner_better = minimize ? diff < 0 : diff > 0;
  j["verdict"] = !real ? "no difference beyond twice the combined standard error"
                 : winner_better ? "the winner is better by more than twice the combined standard error"
                                 : "the reference is better by more than twice the combined standard error";
  return j;
}

uint64_t seed_run_id(bool baseline, uint32_t seed) {
  MCTSNAS_CHECK(seed >= 1 && seed <= kMaxSeeds, "seed_run_id: seed out of range");
  return kTopId - 2 * uint64_t{seed} + (baseline ? 0 : 1);
}

std::optional<std::pair<bool, uint32_t>> seed_run_of(uint64_t id) {
  const uint64_t d = kTopId - id;
  if (d < 1 || d > 2 * uint64_t{kMaxSeeds}) return std::nullopt;
  return std::make_pair(d % 2 == 0, static_cast<uint32_t>((d + 1) / 2));
}

}  // namespace mctsnas
