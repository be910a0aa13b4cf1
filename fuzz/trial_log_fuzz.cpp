// libFuzzer target: trials.jsonl as `resume` replays it (parse_trial_log_tail, after a
// checkpoint's prefix) and as report, ls and export read it (parse_trials). The
// first byte sets the prefix the "checkpoint" claims: 0 bytes, the first line, or
// the first line with its CRC. Property: nothing but mctsnas::Error, one line.
#include <cstdint>
#include <string>

#include "app/run_reader.h"
#include "app/trial_log.h"
#include "common/binary_io.h"
#include "fuzz/fuzz_util.h"

using namespace mctsnas;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  TrialLogPrefix prefix;
  if (mode % 3 != 0) {
    size_t nl = text.find('\n');
    prefix.bytes = nl == std::string::npos ? 0 : nl + 1;
    prefix.lines = prefix.bytes > 0 ? 1 : 0;
    if (mode % 3 == 2) prefix.crc = crc32(std::string_view(text).substr(0, prefix.bytes));
  }
  fuzz::expect_only_errors("trial_log_fuzz", [&] {
    uint64_t complete = 0;
    parse_trial_log_tail(text, prefix, fuzz::nb201(), "fuzz.jsonl", complete);
    if (complete > text.size() || complete < prefix.bytes) fuzz::fail("trial_log_fuzz", "complete out of range");
  });
  fuzz::expect_only_errors("trial_log_fuzz", [&] {
    std::vector<std::string> warnings;
    parse_trials(text, "fuzz.jsonl", &warnings);
  });
  return 0;
}
