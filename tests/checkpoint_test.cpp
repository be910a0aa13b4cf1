#include <catch2/catch.hpp>

#include "app/checkpoint.h"
#include "common/atomic_file.h"
#include "common/binary_io.h"
#include "common/error.h"
#include "test_util.h"

using namespace mctsnas;

namespace {
CheckpointState sample() {
  CheckpointState s;
  s.algorithm = "mcts";
  s.observed = 42;
  s.trials_bytes = 12345;
  s.elapsed_seconds = 3.5;
  s.best_id = 17;
  s.best_score = 94.37;
  s.best_choices = {3, 3, 3, 1, 3, 2};
  s.in_flight = {{42, {1, 2, 3, 4, 0, 1}, ""}, {43, {0, 0, 0, 0, 0, 1}, ""}};
  s.searcher_state = std::string("\x01\x02state\x00bytes", 13);
  s.trials_crc = 0xdeadbeef;
  s.config_fingerprint = "seed: 1\n";
  return s;
}
}  // namespace

TEST_CASE("checkpoint round-trips every field", "[checkpoint]") {
  CheckpointState a = sample();
  CheckpointState b = decode_checkpoint(encode_checkpoint(a), "x");
  CHECK(b.algorithm == a.algorithm);
  CHECK(b.observed == a.observed);
  CHECK(b.trials_bytes == a.trials_bytes);
  CHECK(b.elapsed_seconds == a.elapsed_seconds);
  CHECK(b.best_id == a.best_id);
  CHECK(b.best_score == a.best_score);
  CHECK(b.best_choices == a.best_choices);
  REQUIRE(b.in_flight.size() == 2);
  CHECK(b.in_flight[1].id == 43);
  CHECK(b.in_flight[1].choices == a.in_flight[1].choices);
  CHECK(b.searcher_state == a.searcher_state);
  CHECK(b.trials_crc == a.trials_crc);
  CHECK(b.config_fingerprint == a.config_fingerprint);
}

// Version 1 (before the trials CRC and the config fingerprint) still loads, without them.
TEST_CASE("a version 1 checkpoint still loads", "[checkpoint]") {
  CheckpointState a = sample();
  a.trials_crc.reset();
  a.config_fingerprint.clear();
  const std::string v2 = encode_checkpoint(a);
  const size_t header = 8 + 4 + 8 + 4;
  const std::string payload = v2.substr(header, v2.size() - header - (1 + 4 + 8));   // without the v2 fields
  ByteWriter v1;
  v1.bytes().append(v2.data(), 8);   // magic
  v1.put<uint32_t>(1);
  v1.put<uint64_t>(payload.size());
  v1.put<uint32_t>(crc32(payload));
  v1.bytes() += payload;
  CheckpointState b = decode_checkpoint(v1.bytes(), "old/tree.ckpt");
  CHECK(b.observed == a.observed);
  CHECK(b.searcher_state == a.searcher_state);
  CHECK_FALSE(b.trials_crc.has_value());
  CHECK(b.config_fingerprint.empty());
}

TEST_CASE("truncated, corrupted and wrong-version checkpoints give clear errors", "[checkpoint]") {
  std::string good = encode_checkpoint(sample());
  SECTION("truncated") {
    for (size_t n : {size_t{0}, size_t{5}, size_t{20}, good.size() - 1}) {
      std::string bad = good.substr(0, n);
      CHECK_THROWS_WITH(decode_checkpoint(bad, "run/tree.ckpt"), Catch::Contains("run/tree.ckpt: checkpoint truncated"));
    }
  }
  SECTION("corrupted payload") {
    std::string bad = good;
    bad[bad.size() - 3] ^= 0x40;
    CHECK_THROWS_WITH(decode_checkpoint(bad, "run/tree.ckpt"),
                      "run/tree.ckpt: checkpoint corrupted (checksum mismatch)");
  }
  SECTION("wrong version") {
    std::string bad = good;
    bad[8] = 99;
    CHECK_THROWS_WITH(decode_checkpoint(bad, "run/tree.ckpt"),
                      "run/tree.ckpt: checkpoint format version 99, but this mctsnas reads versions 1 to 2");
  }
  SECTION("not a checkpoint") {
    CHECK_THROWS_WITH(decode_checkpoint("name: foo\nseed: 1\nspace: {}\n", "cfg.yaml"),
                      "cfg.yaml: not an mctsnas checkpoint (bad magic)");
  }
}

TEST_CASE("write_checkpoint keeps the previous good checkpoint", "[checkpoint]") {
  test::TempDir dir;
  auto path = dir / "tree.ckpt";
  CheckpointState a = sample();
  write_checkpoint(path, a);
  a.observed = 43;
  write_checkpoint(path, a);
  CHECK(read_checkpoint(path).observed == 43);
  auto prev = path;
  prev += ".prev";
  CHECK(read_checkpoint(prev).observed == 42);
  // A damaged checkpoint is reported, and .prev still loads.
  std::string bytes = read_file(path);
  bytes[bytes.size() / 2] ^= 1;
  test::write_text(path, bytes);
  CHECK_THROWS_AS(read_checkpoint(path), Error);
  CHECK(read_checkpoint(prev).observed == 42);
  CHECK_THROWS_WITH(read_checkpoint(dir / "nope.ckpt"), Catch::Contains("no checkpoint"));
}
