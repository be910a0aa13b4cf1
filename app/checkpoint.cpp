#include "app/checkpoint.h"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <set>

#include "common/atomic_file.h"
#include "common/binary_io.h"
#include "common/error.h"

namespace mctsnas {
namespace {
constexpr char kMagic[8] = {'M', 'C', 'T', 'S', 'N', 'A', 'S', '\x1a'};
constexpr size_t kHeader = 8 + 4 + 8 + 4;
}  // namespace

std::string encode_checkpoint(const CheckpointState& s) {
  ByteWriter p;
  p.put_string(s.algorithm);
  p.put(s.observed);
  p.put(s.trials_bytes);
  p.put(s.elapsed_seconds);
  p.put<uint8_t>(s.best_id.has_value());
  p.put(s.best_id.value_or(0));
  p.put(s.best_score);
  p.put_vector(s.best_choices);
  p.put<uint64_t>(s.in_flight.size());
  for (const auto& t : s.in_flight) {
    p.put(t.id);
    p.put_vector(t.choices);
    p.put_string(t.finished_line);
  }
  p.put_string(s.searcher_state);
  p.put<uint8_t>(s.trials_crc.has_value());
  p.put<uint32_t>(s.trials_crc.value_or(0));
  p.put_string(s.config_fingerprint);

  ByteWriter out;
  out.bytes().append(kMagic, sizeof kMagic);
  out.put(kCheckpointVersion);
  out.put<uint64_t>(p.bytes().size());
  out.put(crc32(p.bytes()));
  out.bytes() += p.bytes();
  return std::move(out.bytes());
}

CheckpointState decode_checkpoint(std::string_view bytes, const std::string& what) {
  if (bytes.size() < kHeader) {
    if (bytes.size() >= 8 && std::memcmp(bytes.data(), kMagic, 8) != 0)
      throw Error(what + ": not an mctsnas checkpoint (bad magic)");
    throw Error(what + ": checkpoint truncated (" + std::to_string(bytes.size()) + " bytes, header needs " +
                std::to_string(kHeader) + ")");
  }
  if (std::memcmp(bytes.data(), kMagic, 8) != 0) throw Error(what + ": not an mctsnas checkpoint (bad magic)");
  ByteReader h(bytes.substr(8, kHeader - 8), what);
  uint32_t version = h.get<uint32_t>();
  uint64_t size = h.get<uint64_t>();
  uint32_t crc = h.get<uint32_t>();
  if (version < 1 || version > kCheckpointVersion)
    throw Error(what + ": checkpoint format version " + std::to_string(version) +
                ", but this mctsnas reads versions 1 to " + std::to_string(kCheckpointVersion));
  if (bytes.size() - kHeader != size)
    throw Error(what + ": checkpoint truncated or padded (payload is " + std::to_string(bytes.size() - kHeader) +
                " bytes, header says " + std::to_string(size) + ")");
  std::string_view payload = bytes.substr(kHeader);
  if (crc32(payload) != crc) throw Error(what + ": checkpoint corrupted (checksum mismatch)");

  ByteReader r(payload, what);
  CheckpointState s;
  s.algorithm = r.get_string();
  s.observed = r.get<int64_t>();
  s.trials_bytes = r.get<uint64_t>();
  s.elapsed_seconds = r.get<double>();
  bool has_best = r.get<uint8_t>() != 0;
  uint64_t best_id = r.get<uint64_t>();
  if (has_best) s.best_id = best_id;
  s.best_score = r.get<double>();
  s.best_choices = r.get_vector<Choice>();
  uint64_t n = r.get<uint64_t>();
  if (n > payload.size()) r.fail("in-flight count larger than the file");
  s.in_flight.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    CheckpointTrial t;
    t.id = r.get<uint64_t>();
    t.choices = r.get_vector<Choice>();
    t.finished_line = r.get_string();
    s.in_flight.push_back(std::move(t));
  }
  s.searcher_state = r.get_string();
  if (version >= 2) {
    bool has_crc = r.get<uint8_t>() != 0;
    uint32_t crc = r.get<uint32_t>();
    if (has_crc) s.trials_crc = crc;
    s.config_fingerprint = r.get_string();
  }
  if (!r.at_end()) r.fail("unexpected bytes after the searcher state");
  return s;
}

void write_checkpoint(const std::filesystem::path& path, const CheckpointState& s) {
  std::string bytes = encode_checkpoint(s);
  // Keep the last good checkpoint: hard-link it as .prev (atomic), then replace.
  if (std::filesystem::exists(path)) {
    std::filesystem::path prev = path;
    prev += ".prev";
    std::filesystem::path tmp = path;
    tmp += ".prevtmp";
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    if (::link(path.c_str(), tmp.c_str()) == 0) std::filesystem::rename(tmp, prev, ec);
  }
  write_file_atomically(path, bytes);
}

CheckpointState read_checkpoint(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw Error(path.string() + ": no checkpoint (is this a run directory?)");
  return decode_checkpoint(read_file(path), path.string());
}

CheckpointState read_run_checkpoint(const std::filesystem::path& run_dir, std::string* warning) {
  const std::filesystem::path ckpt = run_dir / "tree.ckpt", prev = run_dir / "tree.ckpt.prev";
  try {
    return read_checkpoint(ckpt);
  } catch (const Error& e) {
    if (!std::filesystem::exists(prev)) {
      if (std::filesystem::exists(ckpt) || !std::filesystem::exists(run_dir / "trials.jsonl")) throw;
      throw Error(ckpt.string() + ": missing, and there is no tree.ckpt.prev: the trials in trials.jsonl "
                  "cannot be continued; start a new run in another directory (this one stays as it is)");
    }
    try {
      CheckpointState s = read_checkpoint(prev);
      if (warning)
        *warning = std::string(e.what()) + "; resuming from tree.ckpt.prev (one checkpoint older: the trials "
                   "finished after it are taken from trials.jsonl, not run again)";
      return s;
    } catch (const Error& p) {
      throw Error(std::string(e.what()) + "; and tree.ckpt.prev: " + p.what());
    }
  }
}

void validate_checkpoint(const CheckpointState& s, const SearchSpace& space, const std::string& what) {
  auto legal = [&](const std::vector<Choice>& c) {
    return static_cast<int>(c.size()) == space.num_decisions() && space.is_legal(Architecture{c});
  };
  if (s.observed < 0) throw Error(what + ": negative trial count " + std::to_string(s.observed));
  if (s.observed > 0 && s.trials_bytes == 0)
    throw Error(what + ": " + std::to_string(s.observed) + " trials observed but no bytes of trials.jsonl");
  if (!std::isfinite(s.elapsed_seconds) || s.elapsed_seconds < 0)
    throw Error(what + ": elapsed time is not a finite non-negative number");
  if (s.best_id) {
    if (!legal(s.best_choices))
      throw Error(what + ": the best architecture (trial " + std::to_string(*s.best_id) +
                  ") is not a legal architecture of this space");
    if (!std::isfinite(s.best_score)) throw Error(what + ": the best score is not a finite number");
  } else if (!s.best_choices.empty()) {
    throw Error(what + ": holds a best architecture but no best trial");
  }
  std::set<uint64_t> ids;
  for (const auto& t : s.in_flight) {
    if (!ids.insert(t.id).second) throw Error(what + ": in-flight trial " + std::to_string(t.id) + " appears twice");
    if (!legal(t.choices))
      throw Error(what + ": in-flight trial " + std::to_string(t.id) + " is not a legal architecture of this space");
  }
}

}  // namespace mctsnas
