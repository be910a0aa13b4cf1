#include "app/checkpoint.h"

#include <unistd.h>

#include <cstring>

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
  if (version != kCheckpointVersion)
    throw Error(what + ": checkpoint format version " + std::to_string(version) + ", but this mctsnas reads version " +
                std::to_string(kCheckpointVersion));
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
  for (uint64_t i = 0; i < n; ++i) {
    CheckpointTrial t;
    t.id = r.get<uint64_t>();
    t.choices = r.get_vector<Choice>();
    t.finished_line = r.get_string();
    s.in_flight.push_back(std::move(t));
  }
  s.searcher_state = r.get_string();
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

}  // namespace mctsnas
