#include "app/report.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <numeric>

#include "app/svg_plot.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strings.h"

extern char** environ;

namespace fs = std::filesystem;

namespace mctsnas {

namespace {

std::string esc(const std::string& s) { return html_escape(s); }

bool better(double a, double b, bool minimize) { return minimize ? a < b : a > b; }

std::string score_text(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.5g", *v);
  return buf;
}

// The metric to plot for a cost axis: the preferred name, else the first name
// that starts with the prefix (e.g. latency_ms_b8 when there is no _b1).
std::string find_metric(const std::vector<TrialRecord>& trials, const std::string& preferred,
                        const std::string& prefix) {
  std::string fallback;
  for (const auto& t : trials)
    for (const auto& [k, v] : t.metrics) {
      if (!v) continue;
      if (k == preferred) return k;
      if (fallback.empty() && k.rfind(prefix, 0) == 0) fallback = k;
    }
  return fallback;
}

std::string metric_value_text(const std::string& name, const std::optional<double>& v) {
  if (!v) return "n/a";
  if (name == "params" || name == "flops") return format_value(*v, TickFormat::si);
  return format_value(*v);
}

std::string trial_tooltip(const TrialRecord& t, const std::string& metric) {
  std::string s = "trial " + std::to_string(t.id) + ": " + metric + " " + score_text(t.score);
  for (const auto& [k, v] : t.metrics)
    if (k != metric) s += ", " + k + " " + metric_value_text(k, v);
  if (!t.arch.empty()) s += "\n" + t.arch;
  return s;
}

// Runs `program -Tsvg file` with a deadline; returns its stdout, or "" when it is
// missing, fails or takes too long. posix_spawn with an argument vector: the path
// never passes through a shell.
std::string run_dot(const std::string& program, const fs::path& file, double timeout_seconds) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::string prog = program, flag = "-Tsvg", path = file.string();
  char* argv[] = {prog.data(), flag.data(), path.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, prog.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return {};
  }
  std::string out;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      timed_out = r == 0;
      break;
    }
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  return out;
}

// An SVG document made fit to sit inside the page: from "<svg" on, without the
// XML declaration, DOCTYPE or comments before it.
std::string inline_svg(const std::string& doc) {
  auto at = doc.find("<svg");
  if (at == std::string::npos) return {};
  return doc.substr(at);
}

const char* kStyle = R"css(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto;
       max-width: 1180px; color: #1d1d1f; background: #fff; padding: 0 16px; }
h1 { font-size: 1.6em; margin-bottom: 4px; }
h2 { font-size: 1.2em; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 1em; margin: 8px 0 4px 0; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f6f6f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.facts th { background: none; color: #555; font-weight: normal; }
tr.best td { background: #eef5ff; }
code.arch { font-size: 0.85em; word-break: break-all; }
.plots { display: flex; flex-wrap: wrap; gap: 20px; }
figure { margin: 0; }
figcaption { font-size: 0.85em; color: #555; max-width: 560px; }
.note { color: #666; font-style: italic; }
.warn { background: #fff6e0; border-left: 4px solid #e0a000; padding: 6px 10px; }
.cells { overflow: auto; max-width: 100%; border: 1px solid #eee; padding: 8px; }
pre { background: #f6f6f6; padding: 8px; overflow: auto; font-size: 0.85em; }
svg.plot { background: #fff; font-size: 11px; }
svg.plot .area { fill: #fbfbfb; stroke: #ccc; }
svg.plot .grid { stroke: #e6e6e6; stroke-width: 1; }
svg.plot .tick { fill: #555; font-size: 11px; }
svg.plot .axis-label { fill: #333; font-size: 12px; }
svg.plot .legend { fill: #333; font-size: 11px; }
.pt-ok { fill: #4c78a8; fill-opacity: 0.45; stroke: none; }
.pt-other { fill: none; stroke: #999; stroke-width: 1; }
.pt-front { fill: #d62728; stroke: #fff; stroke-width: 0.8; }
.front { fill: none; stroke: #d62728; stroke-width: 1.6; }
.best { fill: none; stroke: #1f4e9a; stroke-width: 2.2; }
.baseline { fill: none; stroke: #2ca02c; stroke-width: 1.6; stroke-dasharray: 6 4; }
.pt-baseline { fill: #2ca02c; stroke: #fff; stroke-width: 1; }
.bar-ok { fill: #4c78a8; }
.bar-fail { fill: #e45756; }
.bar-other { fill: #f2a541; }
.bar-depth { fill: #72b7b2; }
)css";

struct Page {
  std::string html;
  void add(const std::string& s) { html += s; }
};

std::string th(const std::string& s, bool num = false) {
  return std::string(num ? "<th class=\"num\">" : "<th>") + esc(s) + "</th>";
}
std::string td(const std::string& s, bool num = false) {
  return std::string(num ? "<td class=\"num\">" : "<td>") + esc(s) + "</td>";
}

std::string figure(const std::string& svg, const std::string& caption) {
  return "<figure>" + svg + "<figcaption>" + esc(caption) + "</figcaption></figure>\n";
}

std::string missing(const std::string& id, const std::string& why) {
  return "<p class=\"note\" id=\"" + esc(id) + "\">" + esc(why) + "</p>\n";
}

void facts_section(Page& p, const RunData& run, const std::optional<double>& best_score,
                   const std::optional<int64_t>& best_id, const std::string& best_arch) {
  const RunSummary& s = run.summary;
  const std::string metric = s.metric.empty() ? "score" : s.metric;
  p.add("<section id=\"summary\"><h2>Summary</h2><table class=\"facts\">\n");
  auto row = [&](const std::string& k, const std::string& v) { p.add("<tr>" + th(k) + td(v) + "</tr>\n"); };
  row("Run directory", run.dir.filename().string());
  row("Algorithm", s.algorithm.empty() ? "n/a" : s.algorithm);
  row("Search space", s.space.empty() ? "n/a" : s.space);
  row("Objective", metric + " (" + (s.minimize ? "minimize: lower is better" : "maximize: higher is better") + ")");
  row("State", s.state.empty() ? "n/a" : s.state + (run.has_checkpoint && s.state != "finished" ? " (resumable: tree.ckpt present)" : ""));
  row("Trials", std::to_string(s.trials_finished) + (s.trials_target > 0 ? " of " + std::to_string(s.trials_target) : "") +
                    " finished (" + std::to_string(run.trials.size()) + " in trials.jsonl)");
  double wall = s.wall_seconds;
  for (const auto& t : run.trials) wall = std::max(wall, t.finished_at);
  row("Wall time", format_duration(wall));
  if (best_score) {
    row("Best", metric + " " + score_text(best_score) + " (trial " + std::to_string(*best_id) + ")");
    if (!best_arch.empty()) p.add("<tr>" + th("Best architecture") + "<td><code class=\"arch\">" + esc(best_arch) + "</code></td></tr>\n");
  } else {
    row("Best", "no trial finished ok yet");
  }
  if (s.baseline) {
    std::string v = score_text(s.baseline->score) + " (" + (s.baseline->arch.empty() ? "baseline" : s.baseline->arch) + ")";
    if (best_score && s.baseline->score && std::isfinite(*s.baseline->score)) {
      double gain = s.minimize ? *s.baseline->score - *best_score : *best_score - *s.baseline->score;
      char buf[160];
      double rel = *s.baseline->score != 0 ? 100.0 * gain / std::abs(*s.baseline->score) : 0;
      std::snprintf(buf, sizeof buf, "; the best trial is %.4g %s (%.1f%%)", std::abs(gain),
                    gain >= 0 ? "better" : "worse", std::abs(rel));
      v += buf;
    }
    row("Baseline " + metric, v);
  }
  if (!s.version.empty()) row("mctsnas version", s.version);
  p.add("</table>\n<p class=\"sub\">Trials as a table: <a href=\"trials.csv\">trials.csv</a> "
        "(written by <code>mctsnas report</code>), raw records: <a href=\"trials.jsonl\">trials.jsonl</a>.</p></section>\n");
}

}  // namespace

std::vector<size_t> pareto_front(const std::vector<double>& cost, const std::vector<double>& score,
                                 bool minimize_score) {
  MCTSNAS_CHECK(cost.size() == score.size(), "pareto_front: cost and score differ in length");
  std::vector<size_t> order(cost.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (cost[a] != cost[b]) return cost[a] < cost[b];
    if (score[a] != score[b]) return better(score[a], score[b], minimize_score);
    return a < b;
  });
  // Sweep by increasing cost: a point is on the front when its score beats every
  // cheaper (or equally cheap, listed earlier) point's. Of exact duplicates, the first counts.
  std::vector<size_t> front;
  std::optional<double> best;
  for (size_t i : order) {
    if (!std::isfinite(cost[i]) || !std::isfinite(score[i])) continue;
    if (!best || better(score[i], *best, minimize_score)) {
      front.push_back(i);
      best = score[i];
    }
  }
  return front;
}

std::vector<std::optional<double>> best_so_far(const std::vector<TrialRecord>& trials, bool minimize) {
  std::vector<std::optional<double>> out;
  std::optional<double> best;
  for (const auto& t : trials) {
    if (t.status == TrialStatus::ok && t.score && std::isfinite(*t.score) &&
        (!best || better(*t.score, *best, minimize)))
      best = t.score;
    out.push_back(best);
  }
  return out;
}

std::string render_report(const RunData& run, const ReportOptions& options) {
  const RunSummary& s = run.summary;
  const std::string metric = s.metric.empty() ? "score" : s.metric;
  const std::string goal_note = s.minimize ? " (lower is better)" : " (higher is better)";
  const std::string title = s.name.empty() ? run.dir.filename().string() : s.name;

  std::vector<const TrialRecord*> ok;
  for (const auto& t : run.trials)
    if (t.status == TrialStatus::ok && t.score && std::isfinite(*t.score)) ok.push_back(&t);
  std::vector<const TrialRecord*> ranked = ok;
  std::stable_sort(ranked.begin(), ranked.end(), [&](const TrialRecord* a, const TrialRecord* b) {
    return better(*a->score, *b->score, s.minimize);
  });
  std::optional<double> best_score;
  std::optional<int64_t> best_id;
  std::string best_arch;
  if (!ranked.empty()) {
    best_score = ranked[0]->score;
    best_id = ranked[0]->id;
    best_arch = ranked[0]->arch;
  } else if (s.best) {
    best_score = s.best->score;
    best_id = s.best->id;
    best_arch = s.best->arch;
  }
  const bool has_baseline = s.baseline && s.baseline->score && std::isfinite(*s.baseline->score);

  Page p;
  p.add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
  p.add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
  // While the search runs it rewrites this page every few minutes: reload to follow.
  if (s.state == "running") p.add("<meta http-equiv=\"refresh\" content=\"120\"/>\n");
  p.add("<title>mctsnas report: " + esc(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n");
  p.add("<h1>" + esc(title) + "</h1>\n");
  {
    char when[64] = "";
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    p.add("<p class=\"sub\">mctsnas search report, generated " + esc(when) + (s.state == "running" ? "; the run is in progress, this page reloads every 2 minutes" : "") + ".</p>\n");
  }
  if (!run.warnings.empty()) {
    p.add("<section id=\"warnings\">");
    for (const auto& w : run.warnings) p.add("<p class=\"warn\">" + esc(w) + "</p>\n");
    p.add("</section>\n");
  }
  facts_section(p, run, best_score, best_id, best_arch);

  // Progress: best so far against trials and against wall time.
  p.add("<section id=\"progress\"><h2>Search progress</h2>\n");
  if (ok.empty()) {
    p.add(missing("plot-best-vs-trials", "No trial finished ok yet: nothing to plot."));
    p.add(missing("plot-best-vs-time", "No trial finished ok yet: nothing to plot over time."));
  } else {
    auto bsf = best_so_far(run.trials, s.minimize);
    PlotSeries all{PlotSeries::Kind::points, "trial (ok)", "pt-ok", 2.6, {}};
    PlotSeries curve{PlotSeries::Kind::step, "best so far", "best", 0, {}};
    PlotSeries all_t = all, curve_t = curve;
    for (size_t i = 0; i < run.trials.size(); ++i) {
      const TrialRecord& t = run.trials[i];
      const double n = static_cast<double>(i + 1);
      if (t.status == TrialStatus::ok && t.score && std::isfinite(*t.score)) {
        all.points.push_back({n, *t.score, trial_tooltip(t, metric)});
        all_t.points.push_back({t.finished_at, *t.score, trial_tooltip(t, metric)});
      }
      if (bsf[i]) {
        curve.points.push_back({n, *bsf[i], "after " + std::to_string(i + 1) + " trials: best " + score_text(bsf[i])});
        curve_t.points.push_back({t.finished_at, *bsf[i], "at " + format_duration(t.finished_at) + ": best " + score_text(bsf[i])});
      }
    }
    std::vector<PlotSeries> by_n = {all, curve}, by_t = {all_t, curve_t};
    if (has_baseline) {
      PlotSeries b{PlotSeries::Kind::hline, "baseline (" + (s.baseline->arch.empty() ? std::string("baseline") : s.baseline->arch) + ")",
                   "baseline", 0, {{0, *s.baseline->score, "baseline " + metric + " " + score_text(s.baseline->score)}}};
      by_n.push_back(b);
      by_t.push_back(b);
    }
    p.add("<div class=\"plots\">\n");
    p.add(figure(render_plot({"plot-best-vs-trials", "trials finished", metric + goal_note, TickFormat::number,
                              TickFormat::number, false, 560, 340}, by_n),
                 "Best " + metric + " so far (line) and each ok trial (dots) against the number of finished trials."));
    p.add(figure(render_plot({"plot-best-vs-time", "wall time", metric + goal_note, TickFormat::duration,
                              TickFormat::number, false, 560, 340}, by_t),
                 "The same against wall time since the run started (trial finish times)."));
    p.add("</div>\n");
  }
  p.add("</section>\n");

  // Trade-offs: score against cost metrics, with the Pareto front.
  p.add("<section id=\"tradeoffs\"><h2>Quality against cost</h2>\n<div class=\"plots\">\n");
  struct CostPlot { std::string id, metric, what; TickFormat fmt; };
  const std::vector<CostPlot> cost_plots = {
      {"plot-score-vs-params", find_metric(run.trials, "params", "params"), "parameters", TickFormat::si},
      {"plot-score-vs-latency", find_metric(run.trials, "latency_ms_b1", "latency"), "latency", TickFormat::number}};
  for (const auto& cp : cost_plots) {
    if (cp.metric.empty()) {
      p.add(missing(cp.id, "No trial reports " + cp.what + ": no " + metric + " vs " + cp.what + " plot."));
      continue;
    }
    std::vector<const TrialRecord*> pts;
    std::vector<double> cost, score;
    for (const TrialRecord* t : ok)
      if (auto c = t->metric(cp.metric); c && std::isfinite(*c)) {
        pts.push_back(t);
        cost.push_back(*c);
        score.push_back(*t->score);
      }
    if (pts.empty()) {
      p.add(missing(cp.id, "No ok trial reports " + cp.metric + " yet."));
      continue;
    }
    std::vector<double> xs = cost;
    std::optional<double> base_cost;
    if (has_baseline)
      if (auto it = s.baseline->metrics.find(cp.metric); it != s.baseline->metrics.end() && it->second && std::isfinite(*it->second)) {
        base_cost = *it->second;
        xs.push_back(*base_cost);
      }
    const bool xlog = wants_log_axis(xs);
    auto front = pareto_front(cost, score, s.minimize);
    std::vector<bool> on_front(pts.size(), false);
    for (size_t i : front) on_front[i] = true;
    PlotSeries dots{PlotSeries::Kind::points, "trial (ok)", "pt-ok", 2.6, {}};
    PlotSeries fline{PlotSeries::Kind::step, "", "front", 0, {}};
    PlotSeries fdots{PlotSeries::Kind::points, "Pareto front (" + std::to_string(front.size()) + ")", "pt-front", 3.8, {}};
    for (size_t i = 0; i < pts.size(); ++i)
      if (!on_front[i]) dots.points.push_back({cost[i], score[i], trial_tooltip(*pts[i], metric)});
    for (size_t i : front) {
      fline.points.push_back({cost[i], score[i], ""});
      fdots.points.push_back({cost[i], score[i], "Pareto front: " + trial_tooltip(*pts[i], metric)});
    }
    std::vector<PlotSeries> series = {dots, fline, fdots};
    if (base_cost)
      series.push_back({PlotSeries::Kind::diamonds, "baseline", "pt-baseline", 7,
                        {{*base_cost, *s.baseline->score, "baseline " + s.baseline->arch + ": " + metric + " " + score_text(s.baseline->score)}}});
    else if (has_baseline)
      series.push_back({PlotSeries::Kind::hline, "baseline", "baseline", 0, {{0, *s.baseline->score, "baseline " + metric + " " + score_text(s.baseline->score)}}});
    p.add(figure(render_plot({cp.id, cp.metric, metric + goal_note, cp.fmt, TickFormat::number, xlog, 560, 340}, series),
                 metric + " against " + cp.metric + " for the " + std::to_string(pts.size()) + " ok trials that report it; red: the Pareto front (no other trial is both cheaper and better)."));
  }
  p.add("</div>\n</section>\n");

  // Status counts.
  p.add("<section id=\"status\"><h2>Trial status</h2>\n");
  std::map<TrialStatus, int> counts;
  std::map<TrialStatus, std::string> example;
  for (const auto& t : run.trials) {
    ++counts[t.status];
    if (!t.error.empty() && !example.count(t.status)) example[t.status] = t.error;
  }
  if (run.trials.empty()) {
    p.add(missing("plot-status", "No trials in trials.jsonl yet."));
  } else {
    std::vector<Bar> bars;
    for (TrialStatus st : all_trial_statuses()) {
      if (!counts.count(st)) continue;
      std::string cls = st == TrialStatus::ok ? "bar-ok"
                        : (st == TrialStatus::stopped_early || st == TrialStatus::infeasible) ? "bar-other"
                                                                                                : "bar-fail";
      bars.push_back({to_string(st), static_cast<double>(counts[st]), cls,
                      std::string(to_string(st)) + ": " + std::to_string(counts[st]) + " trials"});
    }
    p.add(render_bar_chart("plot-status", bars));
    p.add("<table><tr>" + th("status") + th("trials", true) + th("share", true) + th("first error") + "</tr>\n");
    for (TrialStatus st : all_trial_statuses()) {
      if (!counts.count(st)) continue;
      char share[32];
      std::snprintf(share, sizeof share, "%.1f%%", 100.0 * counts[st] / static_cast<double>(run.trials.size()));
      p.add("<tr>" + td(to_string(st)) + td(std::to_string(counts[st]), true) + td(share, true) +
            td(example.count(st) ? example[st] : "") + "</tr>\n");
    }
    p.add("</table>\n");
  }
  p.add("</section>\n");

  // Top 10.
  p.add("<section id=\"top-trials\"><h2>Top " + std::to_string(std::min<size_t>(10, ranked.size())) + " trials</h2>\n");
  if (ranked.empty()) {
    p.add("<p class=\"note\">No trial finished ok yet.</p>\n");
  } else {
    const std::string pm = find_metric(run.trials, "params", "params");
    const std::string lm = find_metric(run.trials, "latency_ms_b1", "latency");
    p.add("<table id=\"top-table\"><tr>" + th("rank", true) + th("trial", true) + th(metric, true) + th("reward", true));
    if (!pm.empty()) p.add(th(pm, true));
    if (!lm.empty()) p.add(th(lm, true));
    p.add(th("seconds", true) + th("device") + th("architecture") + "</tr>\n");
    for (size_t i = 0; i < ranked.size() && i < 10; ++i) {
      const TrialRecord& t = *ranked[i];
      p.add(std::string(i == 0 ? "<tr class=\"best\">" : "<tr>") + td(std::to_string(i + 1), true) +
            td(std::to_string(t.id), true) + td(score_text(t.score), true) + td(score_text(t.reward), true));
      if (!pm.empty()) p.add(td(metric_value_text(pm, t.metric(pm)), true));
      if (!lm.empty()) p.add(td(metric_value_text(lm, t.metric(lm)), true));
      p.add(td(format_duration(t.seconds), true) + td(t.device) + "<td><code class=\"arch\">" + esc(t.arch) + "</code></td></tr>\n");
    }
    p.add("</table>\n");
  }
  p.add("</section>\n");

  // The best cells, as exported into best/.
  p.add("<section id=\"best-cells\"><h2>Best architecture: cells</h2>\n");
  const fs::path best_dir = run.dir / "best";
  std::error_code ec;
  if (fs::exists(best_dir / "cells.svg", ec)) {
    std::string svg = inline_svg(read_file(best_dir / "cells.svg"));
    if (svg.empty())
      p.add("<p class=\"warn\">best/cells.svg holds no &lt;svg&gt; element.</p>\n");
    else
      p.add("<div class=\"cells\">" + svg + "</div>\n<p class=\"sub\">From best/cells.svg.</p>\n");
  } else if (fs::exists(best_dir / "cells.dot", ec)) {
    std::string svg;
    if (!options.dot_program.empty())
      svg = inline_svg(run_dot(options.dot_program, best_dir / "cells.dot", options.dot_timeout_seconds));
    if (!svg.empty()) {
      p.add("<div class=\"cells\">" + svg + "</div>\n<p class=\"sub\">best/cells.dot drawn by Graphviz.</p>\n");
    } else {
      p.add("<p class=\"note\">Graphviz (<code>dot</code>) is not available or failed, so here is best/cells.dot as text "
            "(install graphviz and run <code>mctsnas report</code> again for a drawing).</p>\n");
      p.add("<pre>" + esc(read_file(best_dir / "cells.dot")) + "</pre>\n");
    }
  } else {
    p.add("<p class=\"note\">No best/cells.svg or best/cells.dot yet: run <code>mctsnas export " +
          esc(run.dir.string()) + "</code> to draw the winning cells.</p>\n");
  }
  p.add("</section>\n");

  // Tree statistics.
  p.add("<section id=\"tree\"><h2>Search tree</h2>\n");
  if (!run.stats) {
    p.add(missing("plot-visits-by-depth", "No search_stats.json: this algorithm keeps no tree, or the run wrote none."));
  } else {
    const RunSearchStats& st = *run.stats;
    p.add("<p>" + esc(std::to_string(st.nodes)) + " nodes.</p>\n");
    if (st.visits_by_depth.empty()) {
      p.add(missing("plot-visits-by-depth", "No visit counts recorded."));
    } else {
      std::vector<Bar> bars;
      for (size_t d = 0; d < st.visits_by_depth.size(); ++d)
        bars.push_back({std::to_string(d), static_cast<double>(st.visits_by_depth[d]), "bar-depth",
                        "depth " + std::to_string(d) + ": " + std::to_string(st.visits_by_depth[d]) + " visits"});
      p.add(figure(render_column_chart("plot-visits-by-depth", bars, "depth", "visits"),
                   "Summed visit counts of the nodes at each depth of the tree (root = 0)."));
    }
    p.add("<h3>Most-visited path</h3>\n");
    if (st.most_visited_path.empty()) {
      p.add("<p class=\"note\">Empty.</p>\n");
    } else {
      p.add("<ol start=\"0\" id=\"most-visited-path\">\n");
      for (const auto& a : st.most_visited_path) p.add("<li><code class=\"arch\">" + esc(a) + "</code></li>\n");
      p.add("</ol>\n");
    }
  }
  p.add("</section>\n");
  p.add("<footer><p class=\"sub\">mctsnas " + esc(s.version) + " &#183; " + esc(run.dir.string()) + "</p></footer>\n");
  p.add("</body>\n</html>\n");
  return p.html;
}

fs::path write_report(const fs::path& run_dir, const ReportOptions& options) {
  RunData run = read_run(run_dir);
  const fs::path path = run_dir / "report.html";
  write_file_atomically(path, render_report(run, options));
  return path;
}

void write_report(const fs::path& run_dir) { write_report(run_dir, ReportOptions{}); }

}  // namespace mctsnas
