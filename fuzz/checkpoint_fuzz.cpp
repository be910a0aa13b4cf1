// libFuzzer target: the checkpoint reader, tree and searcher state (tree.ckpt).
// The first byte picks how the rest is read:
//   bit 0 clear: the rest is a whole tree.ckpt file (header, version, CRC checked);
//   bit 0 set:   the rest is a payload, wrapped in a valid header with its CRC, so
//                mutations reach the fields behind the checksum.
// A checkpoint that decodes is validated against the NB201 space and its searcher
// state is loaded into the searcher it names (bits 1-2: MCTS on the edit or the
// prefix tree); a searcher that loads must then propose, observe and save.
// Property: nothing but mctsnas::Error, with a one-line message; no crash, no hang,
// no unbounded allocation.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "app/checkpoint.h"
#include "app/config_loader.h"
#include "common/binary_io.h"
#include "fuzz/fuzz_util.h"
#include "search/search_options.h"
#include "search/searcher.h"
#include "search/searcher_registry.h"

using namespace mctsnas;

namespace {


// Search options as a user writes them: through the config loader, so that the
// target follows the loader's types.
const SearchOptions& options(const std::string& algorithm, bool prefix_tree) {
  static std::map<std::string, SearchOptions> cache;
  const std::string key = algorithm + (prefix_tree ? "/prefix" : "/edit");
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::string yaml = "name: fuzz\nspace: {kind: nb201}\ntask: {kind: table, table: /dev/null}\nsearch: {algorithm: " +
                     algorithm + ", mcts: {tree: " + (prefix_tree ? "prefix" : "edit") + "}}\n";
  return cache.emplace(key, load_config_text(yaml, "fuzz.yaml").search).first->second;
}

std::string wrap(std::string_view payload) {
  ByteWriter out;
  out.bytes().append("MCTSNAS\x1a", 8);
  out.put(kCheckpointVersion);
  out.put<uint64_t>(payload.size());
  out.put(crc32(payload));
  out.bytes() += payload;
  return std::move(out.bytes());
}

void load_searcher(const CheckpointState& ck, bool prefix_tree) {
  for (const char* algorithm : {"mcts", "random", "evolution", "local"}) {
    if (ck.algorithm != algorithm) continue;
    auto searcher = make_searcher(options(algorithm, prefix_tree), fuzz::nb201(), 1);
    ByteReader r(ck.searcher_state, "fuzz.ckpt (searcher state)");
    searcher->load(r);
    for (const auto& p : searcher->propose(2)) searcher->observe(p, 0.5);
    ByteWriter w;
    searcher->save(w);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string bytes = (mode & 1) ? wrap(rest) : std::string(rest);
  fuzz::expect_only_errors("checkpoint_fuzz", [&] {
    CheckpointState ck = decode_checkpoint(bytes, "fuzz.ckpt");
    validate_checkpoint(ck, fuzz::nb201(), "fuzz.ckpt");
    load_searcher(ck, (mode & 2) != 0);
  });
  return 0;
}
