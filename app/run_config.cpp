#include "app/run_config.h"

#include "app/config_loader.h"
#include "common/error.h"

namespace mctsnas {
namespace fs = std::filesystem;

RunOptions load_run_config(const fs::path& run_dir) {
  const auto file = run_dir / "config.resolved.yaml";
  if (!fs::exists(file)) throw Error(file.string() + ": missing: not a complete run directory");
  return load_config(file);
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
