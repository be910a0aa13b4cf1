#pragma once
// The `task:`, `train:` and `objective:` sections of the config. Plain structs, no
// LibTorch, so the config loads and validates in builds without it.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/option_schema.h"
#include "evaluator/tokenizer.h"

namespace mctsnas {

enum class EarlyStopping { none, median, halving };
inline constexpr EnumName<EarlyStopping> kEarlyStoppingNames[] = {
    {"none", EarlyStopping::none}, {"median", EarlyStopping::median}, {"halving", EarlyStopping::halving}};
constexpr std::span<const EnumName<EarlyStopping>> enum_names(EarlyStopping) {
  return kEarlyStoppingNames;
}

// automatic: bf16 on CUDA, fp32 on CPU.
enum class Precision { automatic, fp32, bf16 };
inline constexpr EnumName<Precision> kPrecisionNames[] = {
    {"auto", Precision::automatic}, {"fp32", Precision::fp32}, {"bf16", Precision::bf16}};
constexpr std::span<const EnumName<Precision>> enum_names(Precision) { return kPrecisionNames; }

// automatic: minimize error rates, bpc, loss, latency and sizes, else maximize;
// resolved by the loader, so a loaded config says maximize or minimize.
enum class Goal { automatic, maximize, minimize };
inline constexpr EnumName<Goal> kGoalNames[] = {
    {"auto", Goal::automatic}, {"maximize", Goal::maximize}, {"minimize", Goal::minimize}};
constexpr std::span<const EnumName<Goal>> enum_names(Goal) { return kGoalNames; }

// Table columns that hold each architecture's costs (numbers >= 0), for
// objective.constraints.max_params and max_flops ("" = the table has none).
struct CostColumns {
  std::string params;
  std::string flops;
};

// task.tokenizer: sentencepiece (evaluator/sentencepiece_tokenizer.h).
struct SentencePieceOptions {
  std::string model;                  // a user's trained .model; empty: train one on task.train
  std::string model_type = "unigram";   // unigram | bpe
  int vocab_size = 1000;              // ids, the 4 special tokens included
  double character_coverage = 0.9995; // share of characters the pieces cover; the rest read as UNK
};

struct TaskOptions {
  std::string kind = "table";     // table | lm | g2p | classify | seq2seq
  // kind: table — a CSV of precomputed scores (NAS-Bench style).
  std::string table;              // path, relative to the config file
  std::string key_column = "arch";
  std::string score_column = "test_accuracy";
  CostColumns cost_columns;
  // text tasks
  std::string data;               // data directory (default: the shipped sample / cache)
  // The user's own files (paths relative to the config file): classify and seq2seq
  // read .jsonl, .csv or .tsv (all three splits); lm reads UTF-8 text (train, and
  // validation and test or neither: then the lines of train are split by split_of).
  // When `train` is empty, classify and lm read the built-in data of `data`.
  std::string train, validation, test;
  std::string text_field = "text";       // classify
  std::string label_field = "label";
  std::string source_field = "source";   // seq2seq
  std::string target_field = "target";
  // classify: "balanced" weighs each class's training loss by n / (classes * n_class)
  // (inverse frequency, mean weight 1 over the training examples); "none": unweighted.
  std::string class_weights = "none";
  // How a user's text becomes tokens (lm, seq2seq, classify with task.train): "char",
  // one per byte (classify: the raw bytes), or "sentencepiece" subwords. task.max_len
  // counts tokens.
  std::string tokenizer = "char";
  SentencePieceOptions sentencepiece;
  // Not a config key: where a run keeps the sentencepiece model it trained
  // (tokenizer.model beside the run's config, app/run_config.h), read when it exists,
  // so workers, resume and export use the one model; else one is trained in memory.
  std::string tokenizer_cache;
  int64_t max_file_size = int64_t{1} << 30;   // bytes; a bigger data file is refused; 0 = no cap
  int max_len = 32;
  bool baseline = true;           // also train the reference Transformer once
  // Then retrain the winner and the reference from this many other seeds each and
  // compare their means (app/seed_comparison.h); 0: no comparison.
  int baseline_seeds = 3;
};

struct EarlyStoppingOptions {
  EarlyStopping kind = EarlyStopping::none;
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
  Precision precision = Precision::automatic;
  int64_t eval_every = 200;       // steps between validation reports
  int64_t eval_batches = 8;
  EarlyStoppingOptions early_stopping;
};

// max_params and max_flops follow from the architecture: the searchers propose only
// architectures that meet them (space/constrained_space.h). max_latency_ms needs a
// measurement: a trial that breaks it is recorded as `infeasible`.
struct ConstraintOptions {
  std::optional<double> max_params;
  std::optional<double> max_flops;   // forward FLOPs of one example at task.max_len
  std::optional<double> max_latency_ms;
};

// One metric: the search maximizes or minimizes it. Two or more in `metrics`: the
// search looks for their Pareto front (search/multi_objective.h), and `metric` (by
// default the first of them) ranks the single best trial.
struct ObjectiveOptions {
  std::string metric;             // default: metrics[0], else task.score_column for tables, else the task's metric
  Goal goal = Goal::automatic;
  std::vector<std::string> metrics;   // empty or >= 2
  std::vector<Goal> goals;            // one per metric; empty: each resolved as goal auto
  ConstraintOptions constraints;
};

// The config keys of each struct (common/option_schema.h; app/ reads and writes them).
template <class V> void bind_fields(V& v, CostColumns& o) {
  v.field("params", o.params);
  v.field("flops", o.flops);
}
template <class V> void bind_fields(V& v, SentencePieceOptions& o) {
  using namespace config;
  v.field("model", o.model, path());
  v.field("model_type", o.model_type, one_of({"unigram", "bpe"}));
  v.field("vocab_size", o.vocab_size, min(Tokenizer::kFirst + 1).max(1 << 20));
  v.field("character_coverage", o.character_coverage, range(0.5, 1));
}
template <class V> void bind_fields(V& v, TaskOptions& o) {
  using namespace config;
  v.field("kind", o.kind, one_of({"table", "lm", "g2p", "classify", "seq2seq", "fault"}));
  v.field("table", o.table, path());
  v.field("key_column", o.key_column, non_empty());
  v.field("score_column", o.score_column, non_empty());
  v.field("cost_columns", o.cost_columns);
  v.field("data", o.data, path());
  v.field("train", o.train, path());
  v.field("validation", o.validation, path());
  v.field("test", o.test, path());
  v.field("text_field", o.text_field, non_empty());
  v.field("label_field", o.label_field, non_empty());
  v.field("source_field", o.source_field, non_empty());
  v.field("target_field", o.target_field, non_empty());
  v.field("class_weights", o.class_weights, one_of({"none", "balanced"}));
  v.field("tokenizer", o.tokenizer, one_of({"char", "sentencepiece"}));
  v.field("sentencepiece", o.sentencepiece);
  v.field("max_file_size", o.max_file_size, bytes());   // 0 = no cap
  v.field("max_len", o.max_len, min(1).max(1 << 20));
  v.field("baseline", o.baseline);
  v.field("baseline_seeds", o.baseline_seeds, min(0).max(1000));
}
template <class V> void bind_fields(V& v, EarlyStoppingOptions& o) {
  using namespace config;
  v.field("kind", o.kind);
  v.field("min_reports", o.min_reports, min(1));
  v.field("halving_eta", o.halving_eta, above(1));
}
template <class V> void bind_fields(V& v, TrainOptions& o) {
  using namespace config;
  v.field("steps", o.steps, min(1));
  v.field("batch_size", o.batch_size, min(1));
  v.field("lr", o.lr, above(0));
  v.field("weight_decay", o.weight_decay, min(0));
  v.field("warmup_fraction", o.warmup_fraction, range(0, 1));
  v.field("grad_clip", o.grad_clip, min(0));   // 0 = no clipping
  v.field("precision", o.precision);
  v.field("eval_every", o.eval_every, min(1));
  v.field("eval_batches", o.eval_batches, min(1));
  v.field("early_stopping", o.early_stopping);
}
template <class V> void bind_fields(V& v, ConstraintOptions& o) {
  using namespace config;
  v.field("max_params", o.max_params, above(0));
  v.field("max_flops", o.max_flops, above(0));
  v.field("max_latency_ms", o.max_latency_ms, above(0));
}
template <class V> void bind_fields(V& v, ObjectiveOptions& o) {
  v.field("metric", o.metric);   // "" = the task's default (filled in by the loader)
  v.field("goal", o.goal);
  v.field("metrics", o.metrics, config::Check().no_repeats());
  v.field("goals", o.goals);
  v.field("constraints", o.constraints);
}

}  // namespace mctsnas
