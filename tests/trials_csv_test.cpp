#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "app/trials_csv.h"
#include "common/error.h"
#include "run_dir_fixture.h"

using namespace mctsnas;
using namespace mctsnas::testing;
namespace fs = std::filesystem;

TEST_CASE("csv_field quotes only what RFC 4180 requires", "[trials_csv]") {
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("") == "");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("cr\r") == "\"cr\r\"");
}

TEST_CASE("trials_csv has fixed columns, one per metric seen, nulls empty, CRLF rows", "[trials_csv]") {
  std::vector<TrialRecord> t(2);
  t[0].id = 0;
  t[0].arch = "enc[conv3>0, glu>1]";
  t[0].score = 0.1;
  t[0].reward = -0.1;
  t[0].metrics = {{"params", 120000.0}, {"val_per", 0.1}};
  t[0].seconds = 12.5;
  t[0].device = "cuda:0";
  t[0].started_at = 0;
  t[0].finished_at = 12.5;
  t[0].started_utc = "2026-12-04T19:20:31.250Z";
  t[1].id = 1;
  t[1].arch = "x";
  t[1].status = TrialStatus::crashed;
  t[1].metrics = {{"latency_ms_b1", std::nullopt}, {"score", 3.0}};
  t[1].error = "worker died: \"signal 11\"";
  t[1].device = "cpu";
  const std::string csv = trials_csv(t);
  const std::string expected =
      "id,arch,status,score,seconds,device,started_at,started_s,finished_s,latency_ms_b1,params,metric.score,val_per,error\r\n"
      "0,\"enc[conv3>0, glu>1]\",ok,0.1,12.5,cuda:0,2026-12-04T19:20:31.250Z,0,12.5,,120000,,0.1,\r\n"
      "1,x,crashed,,0,cpu,,0,0,,,3,,\"worker died: \"\"signal 11\"\"\"\r\n";
  CHECK(csv == expected);
  CHECK(trials_csv({}) == "id,arch,status,score,seconds,device,started_at,started_s,finished_s,error\r\n");
}

TEST_CASE("write_trials_csv writes trials.csv beside trials.jsonl and Python's csv reads it back", "[trials_csv]") {
  TempDir tmp("csv");
  SyntheticRun o;
  o.trials = 50;
  o.truncate_last = true;
  write_synthetic_run(tmp.path(), o);
  const fs::path out = write_trials_csv(tmp.path());
  CHECK(out == tmp.path() / "trials.csv");
  const std::string csv = slurp(out);
  CHECK(csv.rfind("id,arch,status,score,seconds,device,started_at,started_s,finished_s,latency_ms_b1,params,val_per,error\r\n", 0) == 0);
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) {
    WARN("python3 not found: the CSV round trip through Python's csv module is not checked");
    return;
  }
  // 50 rows (the torn line is skipped), every row as wide as the header, and the
  // error with quotes and '<' survives the round trip.
  const std::string cmd =
      "python3 -c '\n"
      "import csv, sys\n"
      "rows = list(csv.reader(open(sys.argv[1], newline=\"\")))\n"
      "assert len(rows) == 51, len(rows)\n"
      "assert all(len(r) == len(rows[0]) for r in rows), \"ragged\"\n"
      "h = rows[0]\n"
      "errs = [r[h.index(\"error\")] for r in rows[1:]]\n"
      "crash = [e for e in errs if e.startswith(\"worker died\")]\n"
      "assert all(e == \"worker died: signal 11 <SIGSEGV> & \\\"core\\\" dumped\" for e in crash), crash\n"
      "ids = [int(r[0]) for r in rows[1:]]\n"
      "assert ids == list(range(50)), ids\n"
      "' '" + out.string() + "'";
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("write_trials_csv on a bad run directory is an Error", "[trials_csv]") {
  TempDir tmp("csv-bad");
  CHECK_THROWS_AS(write_trials_csv(tmp.path() / "missing"), Error);
  CHECK_THROWS_WITH(write_trials_csv(tmp.path()), Catch::Contains("not a run directory"));
}
