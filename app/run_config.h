#pragma once
// A run directory's config and its trials' architectures, for the commands that
// read a run after the fact (report, export, generate, predict).
#include <filesystem>
#include <string>

#include "app/run_options.h"
#include "app/run_reader.h"
#include "evaluator/evaluator.h"
#include "space/search_space.h"

namespace mctsnas {

// The run's config (config.resolved.yaml); Error naming the file when it is missing.
RunOptions load_run_config(const std::filesystem::path& run_dir);
// A run's resolved config `file` (a run directory's, or an MPI rank's copy), with
// task.tokenizer_cache set to the tokenizer.model beside it.
RunOptions load_resolved_config(const std::filesystem::path& file);
// The file a run keeps its trained tokenizer in (Evaluator::run_files).
std::filesystem::path run_tokenizer_path(const std::filesystem::path& dir);
// Writes the evaluator's run_files that `dir` lacks (atomically).
void write_run_files(const Evaluator& evaluator, const std::filesystem::path& dir);

// The trial's architecture in the run's space: its recorded choices, or its key
// string when the choices are not legal there. Error naming `where` (file:line)
// when neither is.
Architecture trial_architecture(const SearchSpace& space, const TrialRecord& trial, const std::string& where);

}  // namespace mctsnas
