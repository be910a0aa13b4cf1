#pragma once
// `mctsnas compress`: smaller variants of an exported model, each measured like a
// trial (task metric on validation and test, params, size on disk, batch-1 and
// batch-32 CPU latency at a fixed thread count, load time). Variants live next to the
// export: best/compressed/<variant>/ holds model.json and the variant's weights, and
// load_exported_model (export_use.h) runs any of them.
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "evaluator/evaluator.h"
#include "evaluator/task_options.h"
#include "evaluator/torch/distill.h"

namespace mctsnas::torchnas {

struct VariantReport {
  std::string name;             // fp32 (the export itself) | int8 | distill | prune
  std::filesystem::path dir;
  Metrics metrics;              // val_*, test_*, params, weights_bytes, dense_weight_bytes,
                                // latency_ms_b1, latency_ms_b32, load_ms
};

struct CompressOptions {
  TaskOptions task;             // the run's: the same validation and test splits
  int threads = 1;              // intra-op threads for every latency figure
  std::vector<std::string> variants = {"int8"};
  TrainOptions train;           // distill: the student's training (the run's train settings)
  uint64_t seed = 0;            // distill: the student's initial weights and batches; prune: its batches
  DistillOptions distill;       // also the loss of prune's fine-tuning (the export is the teacher)
  double prune_fraction = 0.5;  // prune: the share of each prunable op's units removed (prune.h)
  int64_t prune_steps = 100;    // prune: fine-tuning steps with train's other settings; 0: none
};

// The variant names `compress` knows, in the order they are made.
const std::vector<std::string>& compress_variants();

// Measures the fp32 export in `best_dir`, then writes and measures each variant in
// best_dir/compressed/<name>/ (prune only when the model has an op with units to
// remove: ffn or attention). Progress lines go to `log`.
std::vector<VariantReport> compress_export(const std::filesystem::path& best_dir, const CompressOptions& o,
                                           std::ostream* log);

}  // namespace mctsnas::torchnas
