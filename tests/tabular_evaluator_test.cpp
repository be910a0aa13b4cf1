#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "common/error.h"
#include "evaluator/csv_reader.h"
#include "evaluator/tabular_evaluator.h"
#include "space/nb201_space.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {

const fs::path kTable = fs::path(MCTSNAS_SOURCE_DIR) / "data" / "nb201_cifar10.csv";


const std::string kA = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const std::string kB = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";

std::string load_error(const Nb201Space& space, const fs::path& p, TabularOptions o = {}, CsvOptions limits = {}) {
  o.path = p;
  try {
    TabularEvaluator ev(space, o, limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("TabularEvaluator loads the vendored NB201 table and answers lookups", "[tabular]") {
  Nb201Space space;
  TabularEvaluator ev(space, TabularOptions{kTable, "arch", "test_accuracy"});
  REQUIRE(ev.size() == 15625);
  REQUIRE(ev.best_score(true) == Approx(94.3733));
  REQUIRE(ev.best_score(false) == Approx(10.0));

  auto arch = space.parse_key(kA);
  REQUIRE(arch);
  TrialResult r = ev.evaluate(*arch, TrialBudget{}, StopToken{});
  REQUIRE(r.status == TrialStatus::ok);
  REQUIRE(r.error.empty());
  REQUIRE(r.metrics.count("test_accuracy") == 1);
  REQUIRE(r.metrics.at("test_accuracy") == r.score);
  const double* f = ev.find(kA);
  REQUIRE(f);
  REQUIRE(*f == r.score);
  REQUIRE(ev.find("not a key") == nullptr);

  // Every architecture of the space is in the table.
  Rng rng(3);
  for (int i = 0; i < 200; ++i) {
    auto a = space.random(rng);
    REQUIRE(ev.evaluate(a, TrialBudget{}, StopToken{}).status == TrialStatus::ok);
  }
}

TEST_CASE("TabularEvaluator: a key missing from the table is an invalid trial", "[tabular]") {
  Nb201Space space;
  test::TempDir t("tabular");
  auto p = t.write("small.csv", "arch,test_accuracy\n" + kA + ",91.5\n");
  TabularEvaluator ev(space, TabularOptions{p, "arch", "test_accuracy"});
  REQUIRE(ev.size() == 1);
  TrialResult r = ev.evaluate(*space.parse_key(kB), TrialBudget{}, StopToken{});
  REQUIRE(r.status == TrialStatus::invalid);
  REQUIRE(r.error == "architecture '" + kB + "' is not in table " + p.string());
  TrialResult ok = ev.evaluate(*space.parse_key(kA), TrialBudget{}, StopToken{});
  REQUIRE(ok.status == TrialStatus::ok);
  REQUIRE(ok.score == 91.5);

  Architecture illegal{{9, 9, 9, 9, 9, 9}};
  TrialResult bad = ev.evaluate(illegal, TrialBudget{}, StopToken{});
  REQUIRE(bad.status == TrialStatus::invalid);
  REQUIRE(bad.error == "architecture is not legal in the nb201 space");
}

TEST_CASE("TabularEvaluator reads RFC-4180 quoting, CRLF and a byte-order mark", "[tabular]") {
  Nb201Space space;
  test::TempDir t("tabular");
  auto p = t.write("quoted.csv", "\xEF\xBB\xBF\"note\",arch,\"test accuracy\"\r\n"
                                 "\"a, \"\"quoted\"\"\nnote\"," + kA + ",\" 90.25 \"\r\n"
                                 "plain,\"" + kB + "\",+10\r\n\r\n");
  TabularEvaluator ev(space, TabularOptions{p, "arch", "test accuracy"});
  REQUIRE(ev.size() == 2);
  REQUIRE(*ev.find(kA) == 90.25);
  REQUIRE(*ev.find(kB) == 10.0);
  auto rows = read_csv(p);
  REQUIRE(rows.size() == 3);
  REQUIRE(rows[1].fields[0] == "a, \"quoted\"\nnote");
  REQUIRE(rows[1].line == 2);
  REQUIRE(rows[2].line == 4);  // the quoted newline counts as a line
}

TEST_CASE("TabularEvaluator: bad tables are one-line errors naming file:line", "[tabular]") {
  Nb201Space space;
  test::TempDir t("tabular");
  const std::string head = "arch,canonical,test_accuracy\n";

  SECTION("missing file") {
    fs::path p = t.path() / "nope.csv";
    REQUIRE(load_error(space, p) == p.string() + ": cannot open table (No such file or directory)");
  }
  SECTION("a directory") {
    REQUIRE(load_error(space, t.path()) == t.path().string() + ": cannot open table (is a directory, expected a CSV file)");
  }
  SECTION("empty file") {
    auto p = t.write("e.csv", "");
    REQUIRE(load_error(space, p) == p.string() + ":1: empty table (expected a header row naming the columns)");
  }
  SECTION("header only") {
    auto p = t.write("h.csv", head);
    REQUIRE(load_error(space, p) == p.string() + ": table has a header but no data rows");
  }
  SECTION("missing score column, with a did-you-mean") {
    auto p = t.write("m.csv", head + kA + ",x,90\n");
    TabularOptions o;
    o.score_column = "test_acuracy";
    REQUIRE(load_error(space, p, o) ==
            p.string() +
                ":1: no score column 'test_acuracy' in the header (columns: arch, canonical, test_accuracy); "
                "did you mean 'test_accuracy'?");
  }
  SECTION("missing key column, nothing close") {
    auto p = t.write("m.csv", head + kA + ",x,90\n");
    TabularOptions o;
    o.key_column = "genotype";
    REQUIRE(load_error(space, p, o) ==
            p.string() + ":1: no key column 'genotype' in the header (columns: arch, canonical, test_accuracy)");
  }
  SECTION("duplicate header column") {
    auto p = t.write("d.csv", "arch,test_accuracy,arch\n");
    REQUIRE(load_error(space, p) == p.string() + ":1: column 'arch' appears twice in the header");
  }
  SECTION("non-numeric score") {
    auto p = t.write("n.csv", head + kA + ",x,90\n" + kB + ",y,ninety\n");
    REQUIRE(load_error(space, p) ==
            p.string() + ":3: score 'ninety' in column 'test_accuracy' is not a finite number");
  }
  SECTION("score with trailing junk, empty score, nan") {
    auto p1 = t.write("n1.csv", head + kA + ",x,90.5%\n");
    REQUIRE(load_error(space, p1) ==
            p1.string() + ":2: score '90.5%' in column 'test_accuracy' is not a finite number");
    auto p2 = t.write("n2.csv", head + kA + ",x,\n");
    REQUIRE(load_error(space, p2) == p2.string() + ":2: score '' in column 'test_accuracy' is not a finite number");
    auto p3 = t.write("n3.csv", head + kA + ",x,nan\n");
    REQUIRE(load_error(space, p3) ==
            p3.string() + ":2: score 'nan' in column 'test_accuracy' is not a finite number");
  }
  SECTION("duplicate key") {
    auto p = t.write("k.csv", head + kA + ",x,90\n" + kB + ",y,10\n" + kA + ",z,91\n");
    REQUIRE(load_error(space, p) == p.string() + ":4: duplicate key '" + kA + "' (first on line 2)");
  }
  SECTION("wrong field count") {
    auto p = t.write("f.csv", head + kA + ",x,90\n" + kB + ",10\n");
    REQUIRE(load_error(space, p) == p.string() + ":3: 2 fields, expected 3 as in the header");
  }
  SECTION("a key the space cannot parse: a table for another space") {
    auto p = t.write("s.csv", head + kA + ",x,90\nconv3-glu-64,y,10\n");
    REQUIRE(load_error(space, p) ==
            p.string() +
                ":3: key 'conv3-glu-64' in column 'arch' is not a valid nb201 architecture (is this table for "
                "another search space?)");
  }
  SECTION("unterminated quote, reported at the line it opens") {
    auto p = t.write("q.csv", head + kA + ",\"x,90\n" + kB + ",y,10\n");
    REQUIRE(load_error(space, p) == p.string() + ":2: unterminated quoted field");
  }
  SECTION("stray quote inside an unquoted field") {
    auto p = t.write("q2.csv", head + kA + ",x\"y,90\n");
    REQUIRE(load_error(space, p) ==
            p.string() + ":2: stray quote in an unquoted field (quote the whole field and double inner quotes)");
  }
  SECTION("text after a closing quote") {
    auto p = t.write("q3.csv", head + kA + ",\"x\"y,90\n");
    REQUIRE(load_error(space, p) ==
            p.string() +
                ":2: unexpected character after closing quote (a quoted field must end at a comma or line end)");
  }
}

// Issue 13, defect 10: the duplicate-column check was quadratic: a million columns
// were still loading after ten minutes, past this test's ctest timeout (600 s).
TEST_CASE("TabularEvaluator: a very wide header is checked for duplicates in linear time", "[tabular]") {
  Nb201Space space;
  test::TempDir d;
  std::string header = "arch,test_accuracy";
  for (int i = 0; i < 1000000; ++i) header += ",c" + std::to_string(i);
  test::write_text(d / "wide.csv", header + ",c5\n");
  CsvOptions roomy;   // the 7.9 MB header is past the default 1 MiB record cap
  roomy.max_record_bytes = size_t{16} << 20;
  CHECK_THAT(load_error(space, d / "wide.csv", {}, roomy), Catch::Contains("wide.csv:1: column 'c5' appears twice"));
}

// Issue 13, defect 11: a 2 GB line took 5.4 GB of memory, then std::bad_alloc. The
// reader streams and stops at the caps: a line of 1.5 GB (a sparse file: nothing on
// disk) is refused after reading about 1 MiB of it.
TEST_CASE("TabularEvaluator: a huge line or file is a one-line error, read in bounded memory", "[tabular]") {
  Nb201Space space;
  test::TempDir d;
  {
    std::ofstream out(d / "long.csv");
    out << "arch,test_accuracy\n";
  }
  fs::resize_file(d / "long.csv", uint64_t{1536} << 20);
  CHECK_THAT(load_error(space, d / "long.csv"),
             Catch::Contains("long.csv:2: a record longer than 1 MiB"));
  test::write_text(d / "big.csv", "arch,test_accuracy\n");
  fs::resize_file(d / "big.csv", uint64_t{3} << 30);
  CHECK_THAT(load_error(space, d / "big.csv"), Catch::Contains("big.csv: 3072 MiB, larger than 2048 MiB"));
  // The caps are options: a tight one applies to a normal table too.
  CsvOptions tight;
  tight.max_record_bytes = 48;
  CHECK_THAT(load_error(space, kTable, {}, tight), Catch::Contains("nb201_cifar10.csv:2: a record longer than 48 bytes"));
}

TEST_CASE("read_csv streams records split across its read chunks", "[tabular]") {
  test::TempDir d;
  std::string text = "\xEF\xBB\xBFk,v\r\n";
  for (int i = 0; i < 20000; ++i) text += "\"row " + std::to_string(i) + ",\nquoted\"," + std::to_string(i) + "\n";
  test::write_text(d / "t.csv", text);
  auto from_file = read_csv(d / "t.csv");
  auto from_text = parse_csv(text, "t.csv");
  REQUIRE(from_file.size() == 20001);
  CHECK(from_file[0].fields == std::vector<std::string>{"k", "v"});
  CHECK(from_file[20000].fields == std::vector<std::string>{"row 19999,\nquoted", "19999"});
  CHECK(from_file[20000].line == 2 + 2 * 19999);
  bool same = from_text.size() == from_file.size();
  for (size_t i = 0; same && i < from_file.size(); ++i) same = from_file[i].fields == from_text[i].fields;
  CHECK(same);
}
