#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "app/report.h"
#include "app/run_reader.h"
#include "common/error.h"
#include "run_dir_fixture.h"

using namespace mctsnas;
using namespace mctsnas::testing;
namespace fs = std::filesystem;

namespace {

bool have(const char* program) {
  return std::system((std::string("command -v ") + program + " >/dev/null 2>&1").c_str()) == 0;
}

// Well-formedness check by a strict XML parser: the page is written as XHTML-
// compatible HTML (every element closed, only XML entities), so a parse failure is
// a real defect. Returns false with a message when no checker is installed.
bool check_well_formed(const fs::path& file, std::string* checker) {
  bool checked = false;
  if (have("python3")) {
    std::string cmd = "python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' '" +
                      file.string() + "'";
    INFO("python3 xml.etree.ElementTree rejected " << file);
    CHECK(std::system(cmd.c_str()) == 0);
    *checker += "python3 xml.etree ";
    checked = true;
  }
  if (have("xmllint")) {
    std::string cmd = "xmllint --noout '" + file.string() + "'";
    INFO("xmllint (XML mode) rejected " << file);
    CHECK(std::system(cmd.c_str()) == 0);
    *checker += "xmllint ";
    checked = true;
  }
  return checked;
}

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

const char* kPlots[] = {"plot-best-vs-trials", "plot-best-vs-time", "plot-score-vs-params",
                        "plot-score-vs-latency", "plot-status", "plot-visits-by-depth"};

}  // namespace

TEST_CASE("pareto_front keeps the points no other point beats in both cost and score", "[report]") {
  //                         0    1    2    3    4    5
  std::vector<double> cost = {1, 2, 3, 4, 2, 5};
  std::vector<double> score = {0.5, 0.4, 0.45, 0.2, 0.6, 0.2};
  SECTION("minimize score") {
    // cheapest first: 0 (0.5), then 1 (0.4 < 0.5), 4 at cost 2 is worse than 1, 2 (0.45) worse,
    // 3 (0.2) better, 5 ties 3 at higher cost.
    CHECK(pareto_front(cost, score, true) == std::vector<size_t>{0, 1, 3});
  }
  SECTION("maximize score") {
    // 0 (0.5), then at cost 2 the better is 4 (0.6); nothing later beats 0.6.
    CHECK(pareto_front(cost, score, false) == std::vector<size_t>{0, 4});
  }
  SECTION("non-finite points are ignored") {
    std::vector<double> c = {1, std::nan(""), 3};
    std::vector<double> s = {0.5, 0.1, 0.4};
    CHECK(pareto_front(c, s, true) == std::vector<size_t>{0, 2});
  }
}

TEST_CASE("best_so_far follows the goal and ignores trials that did not finish ok", "[report]") {
  std::vector<TrialRecord> t(5);
  t[0].score = 0.5;
  t[1].score = 0.3;
  t[1].status = TrialStatus::stopped_early;  // not ok: not counted
  t[2].score = 0.6;
  t[3].status = TrialStatus::crashed;
  t[4].score = 0.4;
  auto mn = best_so_far(t, true);
  auto mx = best_so_far(t, false);
  REQUIRE(mn.size() == 5);
  CHECK(*mn[0] == 0.5);
  CHECK(*mn[1] == 0.5);
  CHECK(*mn[2] == 0.5);
  CHECK(*mn[4] == 0.4);
  CHECK(*mx[2] == 0.6);
  CHECK(*mx[4] == 0.6);
  std::vector<TrialRecord> none(2);
  none[0].status = TrialStatus::timeout;
  none[1].score = std::nullopt;
  auto n = best_so_far(none, true);
  CHECK(!n[0]);
  CHECK(!n[1]);
}

TEST_CASE("report of a realistic run has every plot and parses as XML", "[report]") {
  TempDir tmp("report");
  const fs::path run = tmp.path() / "g2p-small-20260101-120000";
  SyntheticRun o;
  write_synthetic_run(run, o);
  write_text(run / "best" / "cells.dot", "digraph cells { a -> b [label=\"conv3 <&>\"]; }\n");
  const fs::path out = write_report(run, ReportOptions{});
  REQUIRE(out == run / "report.html");
  const std::string html = slurp(out);
  for (const char* id : kPlots) {
    INFO(id);
    CHECK(contains(html, std::string("class=\"plot\" id=\"") + id + "\""));
  }
  CHECK(contains(html, "id=\"top-table\""));
  CHECK(contains(html, "Pareto front"));
  CHECK(contains(html, "baseline (transformer)"));
  CHECK(contains(html, "id=\"most-visited-path\""));
  // Text from the run is escaped, never markup.
  CHECK(contains(html, "signal 11 &lt;SIGSEGV&gt; &amp; &quot;core&quot; dumped"));
  CHECK(!contains(html, "<SIGSEGV>"));
  CHECK(!contains(html, "<script"));
  CHECK(!contains(html, "http://www.w3.org/1999/xlink\" xlink:href=\"http"));  // nothing fetched
  std::string checker;
  if (!check_well_formed(out, &checker))
    WARN("neither python3 nor xmllint found: well-formedness not checked");
  else
    INFO("checked with " << checker);

  // The best trial in the top table is the minimum score of the ok trials.
  RunData data = read_run(run);
  double best = 1e9;
  int64_t best_id = -1;
  for (const auto& t : data.trials)
    if (t.status == TrialStatus::ok && *t.score < best) {
      best = *t.score;
      best_id = t.id;
    }
  REQUIRE(best_id >= 0);
  CHECK(contains(html, "(trial " + std::to_string(best_id) + ")"));
  auto row = html.find("<tr class=\"best\">");
  REQUIRE(row != std::string::npos);
  CHECK(html.substr(row, 200).find("<td class=\"num\">" + std::to_string(best_id) + "</td>") != std::string::npos);
}

TEST_CASE("report of a maximize run ranks the highest score first", "[report]") {
  TempDir tmp("report-max");
  SyntheticRun o;
  o.minimize = false;
  o.trials = 40;
  write_synthetic_run(tmp.path(), o);
  RunData data = read_run(tmp.path());
  double best = -1e9;
  int64_t best_id = -1;
  for (const auto& t : data.trials)
    if (t.status == TrialStatus::ok && *t.score > best) {
      best = *t.score;
      best_id = t.id;
    }
  const std::string html = render_report(data);
  auto row = html.find("<tr class=\"best\">");
  REQUIRE(row != std::string::npos);
  CHECK(html.substr(row, 200).find("<td class=\"num\">" + std::to_string(best_id) + "</td>") != std::string::npos);
  CHECK(contains(html, "higher is better"));
  // A trailing slash on RUN_DIR still names the run.
  CHECK(read_run(tmp.path().string() + "/").dir.filename() == tmp.path().filename());
}

TEST_CASE("report of a run with no ok trial still renders every section", "[report]") {
  TempDir tmp("report-fail");
  SyntheticRun o;
  o.all_fail = true;
  o.trials = 12;
  o.stats = false;
  o.state = "interrupted";
  write_synthetic_run(tmp.path(), o);
  const fs::path out = write_report(tmp.path(), ReportOptions{});
  const std::string html = slurp(out);
  for (const char* id : kPlots) {
    INFO(id);
    CHECK(contains(html, std::string("id=\"") + id + "\""));
  }
  CHECK(contains(html, "No trial finished ok yet"));
  CHECK(contains(html, "class=\"plot\" id=\"plot-status\""));  // the status chart is drawn
  std::string checker;
  if (!check_well_formed(out, &checker)) WARN("no XML checker found");
}

TEST_CASE("report skips a truncated last line with a warning", "[report]") {
  TempDir tmp("report-trunc");
  SyntheticRun o;
  o.trials = 30;
  o.truncate_last = true;
  o.state = "running";
  write_synthetic_run(tmp.path(), o);
  RunData data = read_run(tmp.path());
  CHECK(data.trials.size() == 30);
  REQUIRE(data.warnings.size() == 1);
  CHECK(contains(data.warnings[0], "trials.jsonl:31"));
  const std::string html = render_report(data);
  CHECK(contains(html, "class=\"warn\""));
  CHECK(contains(html, "http-equiv=\"refresh\""));  // a running run's page reloads
}

TEST_CASE("bad run directories give one clear error", "[report]") {
  TempDir tmp("report-bad");
  CHECK_THROWS_WITH(write_report(tmp.path() / "nope", ReportOptions{}), Catch::Contains("no such run directory"));
  CHECK_THROWS_WITH(write_report(tmp.path(), ReportOptions{}), Catch::Contains("not a run directory"));
  write_text(tmp.path() / "file", "x");
  CHECK_THROWS_WITH(read_run(tmp.path() / "file"), Catch::Contains("not a directory"));

  const fs::path run = tmp.path() / "run";
  SyntheticRun o;
  o.trials = 5;
  write_synthetic_run(run, o);
  // A malformed line in the middle is an error naming file:line, not a skip.
  std::string text = slurp(run / "trials.jsonl");
  auto second = text.find('\n') + 1;
  write_text(run / "trials.jsonl", text.substr(0, second) + "{not json\n" + text.substr(second));
  CHECK_THROWS_WITH(read_run(run), Catch::Contains("trials.jsonl:2") && Catch::Contains("not valid JSON"));
  write_text(run / "trials.jsonl", text.substr(0, second) + R"({"id": 1, "status": "exploded"})" + "\n" + text.substr(second));
  CHECK_THROWS_WITH(read_run(run), Catch::Contains("trials.jsonl:2") && Catch::Contains("unknown status 'exploded'"));
  write_text(run / "trials.jsonl", R"({"id": "one", "status": "ok"})" "\n" + text);
  CHECK_THROWS_WITH(read_run(run), Catch::Contains("trials.jsonl:1") && Catch::Contains("'id'"));
  write_text(run / "trials.jsonl", text);
  write_text(run / "summary.json", R"({"name": "x", "objective": {"metric": "acc", "goal": "up"}})");
  CHECK_THROWS_WITH(read_run(run), Catch::Contains("summary.json") && Catch::Contains("objective.goal"));
  write_text(run / "summary.json", "{\"name\": ");
  CHECK_THROWS_WITH(read_run(run), Catch::Contains("summary.json") && Catch::Contains("not valid JSON"));
}

TEST_CASE("report draws best/cells from cells.svg, Graphviz, or shows the DOT text", "[report]") {
  TempDir tmp("report-cells");
  SyntheticRun o;
  o.trials = 10;
  write_synthetic_run(tmp.path(), o);
  const std::string dot = "digraph cells { in -> n1 [label=\"conv3 <&>\"]; }\n";
  write_text(tmp.path() / "best" / "cells.dot", dot);

  SECTION("without Graphviz the DOT text is shown, escaped") {
    ReportOptions ro;
    ro.dot_program = "";
    const std::string html = render_report(read_run(tmp.path()), ro);
    CHECK(contains(html, "<pre>digraph cells { in -&gt; n1 [label=&quot;conv3 &lt;&amp;&gt;&quot;]; }"));
  }
  SECTION("a missing dot program falls back to the DOT text") {
    ReportOptions ro;
    ro.dot_program = "mctsnas-no-such-dot-program";
    CHECK(contains(render_report(read_run(tmp.path()), ro), "<pre>digraph cells"));
  }
  SECTION("with Graphviz the graph is inline SVG") {
    if (!have("dot")) {
      WARN("Graphviz dot not installed: skipped");
      return;
    }
    const std::string html = render_report(read_run(tmp.path()), ReportOptions{});
    auto sec = html.find("id=\"best-cells\"");
    REQUIRE(sec != std::string::npos);
    CHECK(html.find("<svg", sec) < html.find("</section>", sec));
    CHECK(!contains(html, "<?xml"));
    CHECK(!contains(html, "<pre>digraph"));
  }
  SECTION("cells.svg is embedded without its XML prolog") {
    write_text(tmp.path() / "best" / "cells.svg",
               "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x.dtd\">\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"cells-from-file\"><g/></svg>\n");
    const std::string html = render_report(read_run(tmp.path()), ReportOptions{});
    CHECK(contains(html, "id=\"cells-from-file\""));
    CHECK(!contains(html, "<?xml"));
    CHECK(!contains(html, "<!DOCTYPE svg"));
  }
}

TEST_CASE("mctsnas report RUN_DIR writes report.html and trials.csv; a bad dir exits 2", "[report]") {
  TempDir tmp("report-cli");
  SyntheticRun o;
  o.trials = 8;
  write_synthetic_run(tmp.path(), o);
  const std::string bin = MCTSNAS_BINARY;
  CHECK(std::system((bin + " report '" + tmp.path().string() + "' >/dev/null").c_str()) == 0);
  CHECK(fs::exists(tmp.path() / "report.html"));
  CHECK(fs::exists(tmp.path() / "trials.csv"));
  int rc = std::system((bin + " report '" + (tmp.path() / "missing").string() + "' 2>/dev/null").c_str());
  CHECK(WIFEXITED(rc));
  CHECK(WEXITSTATUS(rc) == 2);
}

// Not run by default: writes a realistic run with its report for a look in a browser.
//   MCTSNAS_DEMO_RUN_DIR=/tmp/demo-run build/tests/mctsnas_core_tests '[.demo]'
TEST_CASE("demo run directory for a browser check", "[.demo]") {
  const char* dir = std::getenv("MCTSNAS_DEMO_RUN_DIR");
  if (!dir) {
    WARN("set MCTSNAS_DEMO_RUN_DIR");
    return;
  }
  test::remove_tree(dir);
  SyntheticRun o;
  write_synthetic_run(dir, o);
  write_text(fs::path(dir) / "best" / "cells.dot",
             "digraph cells {\n rankdir=LR;\n subgraph cluster_enc { label=\"encoder cell\";\n"
             "  in0 -> n1 [label=\"conv5\"]; in0 -> n2 [label=\"glu\"]; n1 -> n3 [label=\"ffn\"];\n"
             "  n2 -> n3 [label=\"local_attention_w8\"]; n3 -> out0 [label=\"identity\"]; }\n"
             " subgraph cluster_dec { label=\"decoder cell\";\n"
             "  in1 -> m1 [label=\"causal_conv3\"]; m1 -> m2 [label=\"cross_attention\"]; m2 -> out1 [label=\"glu\"]; }\n}\n");
  write_report(dir, ReportOptions{});
}
