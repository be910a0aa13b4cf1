#pragma once
// tree.ckpt: the complete state of a search, so `mctsnas resume` continues it.
//
// Layout (little-endian):
//   magic "MCTSNAS\x1a" (8) | format version u32 | payload size u64 | CRC-32 of payload u32 | payload
// Written atomically (temp file, fsync, rename); before each write the previous
// good checkpoint is kept as tree.ckpt.prev, so a checkpoint damaged on disk
// never leaves a run without one: read_run_checkpoint() falls back to it.
// Version 2 adds the CRC-32 of trials.jsonl's prefix and the config fingerprint;
// version 1 files still load (without those checks).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "space/architecture.h"
#include "space/search_space.h"

namespace mctsnas {

inline constexpr uint32_t kCheckpointVersion = 2;

struct CheckpointTrial {
  uint64_t id = 0;
  std::vector<Choice> choices;
  // A trial that finished but could not be observed yet (deterministic mode
  // observes in proposal order): its trials.jsonl line, so the result is kept.
  std::string finished_line;
};

struct CheckpointState {
  std::string algorithm;
  int64_t observed = 0;            // trials finished and in trials.jsonl
  uint64_t trials_bytes = 0;       // size of trials.jsonl holding exactly those
  double elapsed_seconds = 0;      // wall time of the run before this checkpoint
  std::optional<uint64_t> best_id; // best trial so far
  double best_score = 0;
  std::vector<Choice> best_choices;
  std::vector<CheckpointTrial> in_flight;  // proposed, not yet observed: re-run on resume
  std::string searcher_state;      // Searcher::save()
  std::optional<uint32_t> trials_crc;  // CRC-32 of trials.jsonl's first trials_bytes (v2)
  std::string config_fingerprint;  // the result-affecting settings (app/config_fingerprint.h); v2
};

std::string encode_checkpoint(const CheckpointState& s);
// Throws Error naming `what` (the file) on a bad magic, version, size or checksum.
CheckpointState decode_checkpoint(std::string_view bytes, const std::string& what);

void write_checkpoint(const std::filesystem::path& path, const CheckpointState& s);
CheckpointState read_checkpoint(const std::filesystem::path& path);

// RUN_DIR/tree.ckpt, or, when it is missing or damaged, tree.ckpt.prev (one
// checkpoint older: the trials finished after it are replayed from trials.jsonl),
// with `warning` saying so. Throws Error naming both files when neither reads.
CheckpointState read_run_checkpoint(const std::filesystem::path& run_dir, std::string* warning);

// Checks every field against the space: the best and in-flight architectures are
// legal, the best score finite, ids unique, counts in range. Error naming `what`.
void validate_checkpoint(const CheckpointState& s, const SearchSpace& space, const std::string& what);

}  // namespace mctsnas
