#pragma once
// The `task:`, `train:` and `objective:` sections of the config. Plain structs, no
// LibTorch, so the config loads and validates in builds without it.
#include <cstdint>
#include <optional>
#include <string>

namespace mctsnas {

struct TaskOptions {
  std::string kind = "table";     // table | lm | g2p | classify
  // kind: table — a CSV of precomputed scores (NAS-Bench style).
  std::string table;              // path, relative to the config file
  std::string key_column = "arch";
  std::string score_column = "test_accuracy";
  // text tasks
  std::string data;               // data directory (default: the shipped sample / cache)
  int max_len = 32;
  bool baseline = true;           // also train the reference Transformer once
};

struct EarlyStoppingOptions {
  std::string kind = "none";      // none | median | halving
  int min_reports = 2;            // median: reports before a trial can be stopped
  double halving_eta = 3.0;
};

struct TrainOptions {
  int64_t steps = 2000;
  int batch_size = 64;
  double lr = 3.0e-4;
  double weight_decay = 0.01;
  double warmup_fraction = 0.05;
  double grad_clip = 1.0;
  std::string precision = "auto"; // auto (bf16 on CUDA, fp32 on CPU) | fp32 | bf16
  int64_t eval_every = 200;       // steps between validation reports
  int64_t eval_batches = 8;
  EarlyStoppingOptions early_stopping;
};

struct ConstraintOptions {
  std::optional<double> max_params;
  std::optional<double> max_latency_ms;
};

struct ObjectiveOptions {
  std::string metric;             // default: task.score_column for tables, else the task's metric
  std::string goal = "auto";      // auto | maximize | minimize (auto: minimize error rates, bpc, loss, latency, size)
  ConstraintOptions constraints;
};

}  // namespace mctsnas
