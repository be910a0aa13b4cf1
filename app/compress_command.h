#pragma once
// `mctsnas compress RUN_DIR [--variants int8,distill,prune] [--threads N] [--max-metric-loss X]`:
// makes smaller variants of the exported winner (RUN_DIR/best, from `mctsnas export`)
// in RUN_DIR/best/compressed/<variant>/, measures each like a trial next to the fp32
// export (evaluator/torch/compress.h), and writes RUN_DIR/best/compressed/compress.json:
// the figures, each variant's loss in the run's objective metric, and the recommended
// variant: the fastest at batch 1 among those losing at most --max-metric-loss.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
}

namespace mctsnas {

struct CompressCommandOptions {
  std::filesystem::path run_dir;
  std::vector<std::string> variants = {"int8", "distill", "prune"};
  int threads = 0;                 // 0: every core this process may use
  double distill_width = 0.5;      // the student's d_model / the winner's
  int64_t distill_steps = 0;       // 0: the run's train.steps
  double prune_fraction = 0.5;     // the share of each ffn/attention op's units pruned
  int64_t prune_steps = 100;       // the pruned model's fine-tuning steps; 0: none
  double max_metric_loss = 0.01;   // in the objective metric's own units (0.01: one point of PER or accuracy)
};

// Returns compress.json's content (also written); Error on bad input.
nlohmann::json run_compress(const CompressCommandOptions& options, std::ostream& out);

// The recommended variant of compress.json's "variants" entries: the lowest
// latency_ms_b1 among those with metric_loss <= max_loss (fp32's loss is 0).
std::string recommended_variant(const nlohmann::json& variants, double max_loss);

void add_compress_command(CLI::App& app, int& code);

}  // namespace mctsnas
