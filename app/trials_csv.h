#pragma once
// trials.csv beside trials.jsonl: one row per trial, flat columns, so pandas or a
// spreadsheet reads it directly. RFC 4180: CRLF line ends, a field with a comma,
// quote or line break is quoted and its quotes doubled; null is an empty field.
#include <filesystem>
#include <string>
#include <vector>

#include "app/run_reader.h"

namespace mctsnas {

// Columns: id, arch, status, score, seconds, device, started_at (ISO-8601 UTC),
// started_s and finished_s (seconds since the run began), one column per metric
// name seen in any trial (sorted; named "metric.<name>" if the name clashes with a
// fixed column), error. No reward: it is the score with the sign the search uses.
std::string trials_csv(const std::vector<TrialRecord>& trials);

// Reads RUN_DIR/trials.jsonl and writes RUN_DIR/trials.csv (atomically).
// Returns the path written.
std::filesystem::path write_trials_csv(const std::filesystem::path& run_dir);

// One RFC 4180 field (quoted only when needed).
std::string csv_field(const std::string& s);

}  // namespace mctsnas
