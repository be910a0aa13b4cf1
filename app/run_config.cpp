#include "app/run_config.h"

#include "app/config_loader.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "evaluator/text_tokenizer.h"

namespace mctsnas {
namespace fs = std::filesystem;

RunOptions load_run_config(const fs::path& run_dir) {
  const auto file = run_dir / "config.resolved.yaml";
  if (!fs::exists(file)) throw Error(file.string() + ": missing: not a complete run directory");
  return load_resolved_config(file);
}

RunOptions load_resolved_config(const fs::path& file) {
  RunOptions o = load_config(file);
  o.task.tokenizer_cache = run_tokenizer_path(file.parent_path()).string();
  return o;
}

fs::path run_tokenizer_path(const fs::path& dir) { return dir / kTokenizerFile; }

void write_run_files(const Evaluator& evaluator, const fs::path& dir) {
  for (const auto& [name, bytes] : evaluator.run_files()) {
    std::error_code ec;
    if (!fs::exists(dir / name, ec)) write_file_atomically(dir / name, bytes);
  }
}

Architecture trial_architecture(const SearchSpace& space, const TrialRecord& trial, const std::string& where) {
  Architecture arch;
  arch.choices.assign(trial.choices.begin(), trial.choices.end());
  if (space.is_legal(arch)) return arch;
  auto parsed = space.parse_key(trial.arch);
  if (!parsed) throw Error(where + ": trial " + std::to_string(trial.id) + "'s architecture is not in the run's space");
  return *parsed;
}

}  // namespace mctsnas
