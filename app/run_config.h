#pragma once
// A run directory's config and its trials' architectures, for the commands that
// read a run after the fact (report, export, generate, predict).
#include <filesystem>
#include <string>

#include "app/run_options.h"
#include "app/run_reader.h"
#include "space/search_space.h"

namespace mctsnas {

// The run's config (config.resolved.yaml); Error naming the file when it is missing.
RunOptions load_run_config(const std::filesystem::path& run_dir);

// The trial's architecture in the run's space: its recorded choices, or its key
// string when the choices are not legal there. Error naming `where` (file:line)
// when neither is.
Architecture trial_architecture(const SearchSpace& space, const TrialRecord& trial, const std::string& where);

}  // namespace mctsnas
