#pragma once
// Synthetic run directories for the report, trials.csv and `ls` tests: the files
// the search loop writes (summary.json, trials.jsonl, search_stats.json, ...),
// with made-up but plausible trials drawn from a seeded mctsnas::Rng.
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "common/rng.h"
#include "test_util.h"

namespace mctsnas::testing {

namespace fs = std::filesystem;

using test::TempDir;
using test::write_text;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct SyntheticRun {
  std::string name = "g2p-small";
  std::string algorithm = "mcts";
  int trials = 200;
  int target = 200;
  bool minimize = true;          // objective val_per, minimize
  bool cost_metrics = true;      // params and latency_ms_b1
  bool all_fail = false;         // every trial times out or crashes
  bool truncate_last = false;    // append a torn last line
  bool baseline = true;
  bool stats = true;             // search_stats.json
  bool checkpoint = false;       // tree.ckpt
  bool summary = true;           // summary.json
  bool curves = true;            // learning curves for trials that trained
  std::string state = "finished";
  uint64_t seed = 1;
};

// Writes the run into dir (created). Scores improve slowly with the trial index,
// so the best-so-far curve has a shape; quality grows with log(params).
inline void write_synthetic_run(const fs::path& dir, const SyntheticRun& o) {
  fs::create_directories(dir);
  Rng rng(o.seed);
  const char* enc_ops[] = {"conv3", "conv5", "dilated_conv3", "local_attention_w8", "glu", "ffn", "identity"};
  const char* dec_ops[] = {"causal_conv3", "causal_conv5", "causal_local_attention_w8", "cross_attention", "glu", "ffn"};
  std::ofstream trials(dir / "trials.jsonl", std::ios::binary);
  double t = 0;
  nlohmann::json best = nullptr;
  double best_score = 0;
  for (int i = 0; i < o.trials; ++i) {
    nlohmann::json j;
    std::vector<int> choices;
    std::string arch = "enc[";
    for (int k = 0; k < 4; ++k) {
      int c = static_cast<int>(rng.below(7));
      choices.push_back(c);
      arch += std::string(k ? "," : "") + enc_ops[c] + ">" + std::to_string(rng.below(k + 1));
    }
    arch += "] dec[";
    for (int k = 0; k < 4; ++k) {
      int c = static_cast<int>(rng.below(6));
      choices.push_back(c);
      arch += std::string(k ? "," : "") + dec_ops[c] + ">" + std::to_string(rng.below(k + 1));
    }
    const int d_model = 64 << rng.below(3);
    arch += "] d=" + std::to_string(d_model) + " L=" + std::to_string(1 << rng.below(3));
    const double params = std::exp(std::log(2e5) + rng.uniform() * std::log(100.0));
    const double latency = 0.4 + params / 2.5e6 * (0.8 + 0.4 * rng.uniform());
    const double progress = static_cast<double>(i) / std::max(1, o.trials);
    double per = 0.42 - 0.045 * std::log10(params / 2e5) - 0.06 * progress + 0.02 * rng.normal();
    per = std::clamp(per, 0.12, 0.9);
    const double seconds = 20 + params / 1e5 + 10 * rng.uniform();
    std::string status = "ok";
    const double u = rng.uniform();
    if (o.all_fail) status = u < 0.5 ? "timeout" : "crashed";
    else if (u < 0.05) status = "timeout";
    else if (u < 0.08) status = "oom_gpu";
    else if (u < 0.10) status = "diverged";
    else if (u < 0.11) status = "crashed";
    else if (u < 0.18) status = "stopped_early";
    else if (params > 1.5e7) status = "infeasible";
    const bool scored = status == "ok" || status == "stopped_early" || status == "infeasible";
    const double score = o.minimize ? per : 1 - per;
    j["id"] = i;
    j["arch"] = arch;
    j["choices"] = choices;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng.next()));
    j["canonical"] = hex;
    j["status"] = status;
    j["score"] = scored ? nlohmann::json(score) : nlohmann::json();
    j["reward"] = scored ? nlohmann::json(1 - per) : nlohmann::json();
    nlohmann::json m = nlohmann::json::object();
    if (o.cost_metrics) {
      m["params"] = std::round(params);
      m["latency_ms_b1"] = latency;
    }
    m["val_per"] = scored ? nlohmann::json(per) : nlohmann::json();
    j["metrics"] = m;
    if (status == "timeout") j["error"] = "broke its wall-time budget (600s)";
    if (status == "crashed") j["error"] = "worker died: signal 11 <SIGSEGV> & \"core\" dumped";
    if (status == "oom_gpu") j["error"] = "CUDA out of memory, tried to allocate 2.00 GiB";
    if (status == "infeasible") j["error"] = "params > max_params (1.5e7)";
    j["seconds"] = seconds;
    if (o.curves && (status == "ok" || status == "stopped_early")) {
      nlohmann::json steps = nlohmann::json::array(), values = nlohmann::json::array();
      for (int k = 1; k <= (status == "ok" ? 5 : 2); ++k) {
        steps.push_back(200 * k);
        values.push_back(per + 0.5 / k);
      }
      j["curve"] = {{"metric", "val_per"}, {"steps", steps}, {"values", values}};
    }
    j["budget"] = {{"cpu_threads", 2}, {"cpu_set", nlohmann::json::array()}, {"gpu", 0},
                   {"gpu_mem_bytes", 8LL << 30}, {"host_mem_bytes", 4LL << 30}, {"wall_seconds", 600}};
    j["device"] = "cuda:0";
    j["started_at"] = t;
    t += seconds / 4;   // four trials in flight
    j["finished_at"] = t;
    trials << j.dump() << "\n";
    if (status == "ok" && (best.is_null() || (o.minimize ? score < best_score : score > best_score))) {
      best = {{"id", i}, {"arch", arch}, {"score", score}};
      best_score = score;
    }
  }
  if (o.truncate_last) trials << R"({"id": 99999, "arch": "enc[conv3>0,gl)";
  trials.close();

  if (o.summary) {
    nlohmann::json s;
    s["name"] = o.name;
    s["algorithm"] = o.algorithm;
    s["space"] = "cells";
    s["objective"] = {{"metric", "val_per"}, {"goal", o.minimize ? "minimize" : "maximize"}};
    s["trials_finished"] = o.trials;
    s["trials_target"] = o.target;
    s["best"] = best;
    s["wall_seconds"] = t + 3;
    s["state"] = o.state;
    if (o.baseline)
      s["baseline"] = {{"arch", "transformer"},
                       {"score", o.minimize ? 0.27 : 0.73},
                       {"metrics", {{"params", 4.1e6}, {"latency_ms_b1", 2.3}, {"val_per", 0.27}}}};
    s["mctsnas_version"] = "0.1.0";
    write_text(dir / "summary.json", s.dump(2));
  }
  // A categorical space with the trials' decisions, so the report can draw the best.
  std::string decisions;
  for (int k = 0; k < 8; ++k) {
    decisions += std::string(k ? ", " : "") + "{name: " + (k < 4 ? "enc" : "dec") + std::to_string(k % 4) + ", choices: [";
    for (int c = 0; c < (k < 4 ? 7 : 6); ++c) decisions += std::string(c ? ", " : "") + (k < 4 ? enc_ops[c] : dec_ops[c]);
    decisions += "]}";
  }
  write_text(dir / "config.resolved.yaml",
             "name: " + o.name + "\nspace: {kind: categorical, categorical: {decisions: [" + decisions +
                 "]}}\ntask: {kind: g2p}\nsearch: {algorithm: " + o.algorithm + ", trials: " +
                 std::to_string(o.target) + "}\nobjective: {metric: val_per, goal: " +
                 (o.minimize ? "minimize" : "maximize") + "}\n");
  if (o.stats) {
    nlohmann::json st;
    st["nodes"] = 1843;
    st["visits_by_depth"] = {o.trials, 190, 141, 88, 40, 17, 6};
    st["most_visited_path"] = {"enc[conv3>0,glu>1,ffn>0,identity>2] dec[causal_conv3>0,glu>0,ffn>1,cross_attention>2] d=128 L=2",
                               "enc[conv5>0,glu>1,ffn>0,identity>2] dec[causal_conv3>0,glu>0,ffn>1,cross_attention>2] d=128 L=2",
                               "enc[conv5>0,glu>1,ffn>0,local_attention_w8>2] dec[causal_conv3>0,glu>0,ffn>1,cross_attention>2] d=128 L=2"};
    write_text(dir / "search_stats.json", st.dump(2));
  }
  if (o.checkpoint) write_text(dir / "tree.ckpt", "MCTSNASCKPT");
}

}  // namespace mctsnas::testing
