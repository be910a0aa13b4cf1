#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "app/report.h"
#include "app/run_reader.h"
#include "app/svg_plot.h"
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

// Every status a trial can end with (killed, the newest, included) reads back from
// its name and is in all_trial_statuses(), which the report's status chart counts.
TEST_CASE("every trial status reads back by name and is counted", "[report]") {
  const auto& all = all_trial_statuses();
  CHECK(all.size() == static_cast<size_t>(TrialStatus::killed) + 1);
  for (TrialStatus s : all) CHECK(trial_status_from_string(to_string(s)) == s);
  CHECK(std::find(all.begin(), all.end(), TrialStatus::killed) != all.end());
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

TEST_CASE("report draws the best trial's cells from the run's space, without an export", "[report]") {
  TempDir tmp("report-cells");
  SyntheticRun o;
  o.trials = 10;
  write_synthetic_run(tmp.path(), o);
  REQUIRE_FALSE(fs::exists(tmp.path() / "best"));
  const RunData data = read_run(tmp.path());
  const TrialRecord* best = nullptr;
  for (const auto& t : data.trials)
    if (t.status == TrialStatus::ok && (!best || *t.score < *best->score)) best = &t;
  REQUIRE(best);
  // The fixture's categorical space draws one box listing each decision's choice.
  const char* enc_ops[] = {"conv3", "conv5", "dilated_conv3", "local_attention_w8", "glu", "ffn", "identity"};
  const std::string first_choice = std::string("enc0 = ") + enc_ops[best->choices[0]];

  SECTION("without Graphviz the DOT text is shown, escaped") {
    ReportOptions ro;
    ro.dot_program = "";
    const std::string html = render_report(data, ro);
    CHECK(contains(html, "<pre>digraph architecture {"));
    CHECK(contains(html, first_choice));
    CHECK(contains(html, "Trial " + std::to_string(best->id) + ", drawn from the run&#39;s search space"));
    CHECK(contains(html, "prev2 the previous layer&#39;s input"));   // what the cell inputs are
  }
  SECTION("a missing dot program falls back to the DOT text and says why") {
    ReportOptions ro;
    ro.dot_program = "mctsnas-no-such-dot-program";
    const std::string html = render_report(data, ro);
    CHECK(contains(html, "<pre>digraph architecture"));
    CHECK(contains(html, "mctsnas-no-such-dot-program` is not installed"));
  }
  SECTION("with Graphviz the graph is inline SVG") {
    if (!have("dot")) {
      WARN("Graphviz dot not installed: skipped");
      return;
    }
    const std::string html = render_report(data, ReportOptions{});
    auto sec = html.find("id=\"best-cells\"");
    REQUIRE(sec != std::string::npos);
    CHECK(html.find("<svg", sec) < html.find("</section>", sec));
    CHECK(html.find(html_escape(first_choice).substr(0, 6), sec) < html.find("</section>", sec));
    CHECK(!contains(html, "<?xml"));
    CHECK(!contains(html, "<pre>digraph"));
  }
  SECTION("a run whose config is gone gets a note naming the file") {
    fs::remove(tmp.path() / "config.resolved.yaml");
    const std::string html = render_report(read_run(tmp.path()), ReportOptions{});
    CHECK(contains(html, "Cannot draw trial " + std::to_string(best->id)));
    CHECK(contains(html, "config.resolved.yaml: missing"));
  }
}

TEST_CASE("report sections come in order; learning curves and the Pareto set are drawn", "[report]") {
  TempDir tmp("report-sections");
  SyntheticRun o;
  o.trials = 60;
  write_synthetic_run(tmp.path(), o);
  const RunData data = read_run(tmp.path());
  ReportOptions ro;
  ro.dot_program = "";
  const std::string html = render_report(data, ro);
  size_t at = 0;
  for (const char* id : {"summary", "progress", "learning-curves", "tradeoffs", "pareto", "status", "top-trials",
                         "best-cells", "tree"}) {
    INFO(id);
    const auto next = html.find(std::string("<section id=\"") + id + "\"");
    REQUIRE(next != std::string::npos);
    CHECK(next > at);
    at = next;
  }
  // One line per trial with a curve, the best one highlighted.
  CHECK(contains(html, "class=\"plot\" id=\"plot-learning-curves\""));
  CHECK(contains(html, "class=\"curve-best\""));
  size_t curves = 0;
  for (const auto& t : data.trials) curves += t.curve.points.empty() ? 0 : 1;
  REQUIRE(curves > 0);
  size_t lines = 0;
  for (size_t p = 0; (p = html.find("<path class=\"curve", p)) != std::string::npos; ++p) ++lines;
  CHECK(lines == curves);

  // The Pareto table lists exactly the front of (params, val_per) over the ok trials.
  std::vector<double> cost, score;
  for (const auto& t : data.trials)
    if (t.status == TrialStatus::ok && t.score && t.metric("params")) {
      cost.push_back(*t.metric("params"));
      score.push_back(*t.score);
    }
  const size_t front = pareto_front(cost, score, true).size();
  const auto table = html.find("<table id=\"pareto-score-vs-params\">");
  REQUIRE(table != std::string::npos);
  const std::string body = html.substr(table, html.find("</table>", table) - table);
  size_t rows = 0;
  for (size_t p = 0; (p = body.find("<tr>", p)) != std::string::npos; ++p) ++rows;
  CHECK(rows == front + 1);   // the header row and one row per front trial
  CHECK(!contains(html, ">reward<"));   // the top table shows the objective, not its negation

  SECTION("a run without curves says so") {
    TempDir t2("report-nocurves");
    SyntheticRun n;
    n.trials = 10;
    n.curves = false;
    write_synthetic_run(t2.path(), n);
    CHECK(contains(render_report(read_run(t2.path()), ro), "No trial reported validation scores"));
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
  write_report(dir, ReportOptions{});
}

TEST_CASE("report of a Pareto search lists the set summary.json holds", "[report]") {
  TempDir tmp("report");
  const fs::path run = tmp.path() / "pareto-20260101-120000";
  write_synthetic_run(run, SyntheticRun{});
  auto summary = nlohmann::json::parse(slurp(run / "summary.json"));
  summary["pareto"] = {{"metrics", {"val_per", "params"}},
                       {"goals", {"minimize", "minimize"}},
                       {"trials", {{{"id", 3}, {"arch", "a<3>"}, {"metrics", {{"val_per", 0.25}, {"params", 1.5e6}}}},
                                   {{"id", 17}, {"arch", "b"}, {"metrics", {{"val_per", 0.2}, {"params", 4e6}}}}}}};
  write_text(run / "summary.json", summary.dump());
  const std::string html = slurp(write_report(run, ReportOptions{}));
  CHECK(contains(html, "Pareto set of the search (2 trials)"));
  CHECK(contains(html, "val_per (lower is better) and params (lower is better)"));
  const size_t table = html.find("id=\"search-front-table\"");
  REQUIRE(table != std::string::npos);
  const std::string rows = html.substr(table, html.find("</table>", table) - table);
  CHECK(contains(rows, "a&lt;3&gt;"));
  CHECK(contains(rows, "1.5M"));
  CHECK(contains(rows, ">17<"));
  // A damaged set is a clear error naming the file, not a crash.
  summary["pareto"]["goals"] = {"minimize"};
  write_text(run / "summary.json", summary.dump());
  CHECK_THROWS_WITH(write_report(run, ReportOptions{}), Catch::Contains("summary.json: field 'pareto' must be"));
  // Runs without one have no such section.
  summary.erase("pareto");
  write_text(run / "summary.json", summary.dump());
  CHECK_FALSE(contains(slurp(write_report(run, ReportOptions{})), "search-front-table"));
}
