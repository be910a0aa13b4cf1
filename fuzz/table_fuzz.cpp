// libFuzzer target: a table CSV as `task.kind: table` loads it (csv_reader, then
// TabularEvaluator's header, key and score checks against the NB201 space). The
// first byte picks small length caps half of the time, so the cap errors are
// reached too. Property: nothing but mctsnas::Error, one line.
#include <cstdint>
#include <string>

#include "evaluator/csv_reader.h"
#include "evaluator/tabular_evaluator.h"
#include "fuzz/fuzz_util.h"

using namespace mctsnas;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  CsvOptions limits;
  if (mode & 1) {
    limits.max_record_bytes = 64;
    limits.max_file_bytes = 512;
  }
  fuzz::MemFile file(text);
  fuzz::expect_only_errors("table_fuzz", [&] { read_csv(file.path(), limits); });
  fuzz::expect_only_errors("table_fuzz", [&] {
    TabularOptions o;
    o.path = file.path();
    o.key_column = "arch";
    o.score_column = (mode & 2) ? "test_accuracy" : "canonical";
    TabularEvaluator t(fuzz::nb201(), o, limits);
    (void)t.size();
  });
  return 0;
}
