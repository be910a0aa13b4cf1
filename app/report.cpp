#include "app/report.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <numeric>

#include "app/graphviz.h"
#include "app/run_config.h"
#include "app/svg_plot.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strings.h"
#include "space/arch_io.h"
#include "space/space_options.h"

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
.curve { fill: none; stroke: #4c78a8; stroke-opacity: 0.35; stroke-width: 1.2; }
.curve-best { fill: none; stroke: #d62728; stroke-width: 2.2; }
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
std::string arch_td(const std::string& arch) { return "<td><code class=\"arch\">" + esc(arch) + "</code></td>"; }

std::string figure(const std::string& svg, const std::string& caption) {
  return "<figure>" + svg + "<figcaption>" + esc(caption) + "</figcaption></figure>\n";
}

std::string missing(const std::string& id, const std::string& why) {
  return "<p class=\"note\" id=\"" + esc(id) + "\">" + esc(why) + "</p>\n";
}

// What every section reads: the run, and the ok trials ranked by the objective.
struct ReportData {
  const RunData& run;
  const ReportOptions& options;
  std::string metric, goal_note;
  std::vector<const TrialRecord*> ok, ranked;   // ranked: best first, ties in file order
  std::optional<double> best_score;
  std::optional<int64_t> best_id;
  std::string best_arch;
  bool has_baseline = false;

  bool minimize() const { return run.summary.minimize; }
  std::string baseline_tooltip() const {
    return "baseline " + metric + " " + score_text(run.summary.baseline->score);
  }
};

ReportData analyse(const RunData& run, const ReportOptions& options) {
  const RunSummary& s = run.summary;
  ReportData d{run, options, s.metric.empty() ? "score" : s.metric,
               s.minimize ? " (lower is better)" : " (higher is better)", {}, {}, {}, {}, {}, false};
  for (const auto& t : run.trials)
    if (t.status == TrialStatus::ok && t.score && std::isfinite(*t.score)) d.ok.push_back(&t);
  d.ranked = d.ok;
  std::stable_sort(d.ranked.begin(), d.ranked.end(), [&](const TrialRecord* a, const TrialRecord* b) {
    return better(*a->score, *b->score, s.minimize);
  });
  if (!d.ranked.empty()) {
    d.best_score = d.ranked[0]->score;
    d.best_id = d.ranked[0]->id;
    d.best_arch = d.ranked[0]->arch;
  } else if (s.best) {
    d.best_score = s.best->score;
    d.best_id = s.best->id;
    d.best_arch = s.best->arch;
  }
  d.has_baseline = s.baseline && s.baseline->score && std::isfinite(*s.baseline->score);
  return d;
}

void head_section(Page& p, const ReportData& d) {
  const RunSummary& s = d.run.summary;
  const std::string title = s.name.empty() ? d.run.dir.filename().string() : s.name;
  p.add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
  p.add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
  // While the search runs it rewrites this page every few minutes: reload to follow.
  if (s.state == "running") p.add("<meta http-equiv=\"refresh\" content=\"120\"/>\n");
  p.add("<title>mctsnas report: " + esc(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n");
  p.add("<h1>" + esc(title) + "</h1>\n");
  char when[64] = "";
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
  p.add("<p class=\"sub\">mctsnas search report, generated " + esc(when) +
        (s.state == "running" ? "; the run is in progress, this page reloads every 2 minutes" : "") + ".</p>\n");
  if (!d.run.warnings.empty()) {
    p.add("<section id=\"warnings\">");
    for (const auto& w : d.run.warnings) p.add("<p class=\"warn\">" + esc(w) + "</p>\n");
    p.add("</section>\n");
  }
}

PlotSeries baseline_line(const ReportData& d) {
  const auto& b = *d.run.summary.baseline;
  return {PlotSeries::Kind::hline, "baseline (" + (b.arch.empty() ? std::string("baseline") : b.arch) + ")",
          "baseline", 0, {{0, *b.score, d.baseline_tooltip()}}, ""};
}

// Best so far against trials and against wall time.
void progress_section(Page& p, const ReportData& d) {
  p.add("<section id=\"progress\"><h2>Search progress</h2>\n");
  if (d.ok.empty()) {
    p.add(missing("plot-best-vs-trials", "No trial finished ok yet: nothing to plot."));
    p.add(missing("plot-best-vs-time", "No trial finished ok yet: nothing to plot over time."));
    p.add("</section>\n");
    return;
  }
  const auto& trials = d.run.trials;
  const auto bsf = best_so_far(trials, d.minimize());
  PlotSeries all{PlotSeries::Kind::points, "trial (ok)", "pt-ok", 2.6, {}, ""};
  PlotSeries curve{PlotSeries::Kind::step, "best so far", "best", 0, {}, ""};
  PlotSeries all_t = all, curve_t = curve;
  for (size_t i = 0; i < trials.size(); ++i) {
    const TrialRecord& t = trials[i];
    const double n = static_cast<double>(i + 1);
    if (t.status == TrialStatus::ok && t.score && std::isfinite(*t.score)) {
      all.points.push_back({n, *t.score, trial_tooltip(t, d.metric)});
      all_t.points.push_back({t.finished_at, *t.score, trial_tooltip(t, d.metric)});
    }
    if (bsf[i]) {
      curve.points.push_back({n, *bsf[i], "after " + std::to_string(i + 1) + " trials: best " + score_text(bsf[i])});
      curve_t.points.push_back({t.finished_at, *bsf[i], "at " + format_duration(t.finished_at) + ": best " + score_text(bsf[i])});
    }
  }
  std::vector<PlotSeries> by_n = {all, curve}, by_t = {all_t, curve_t};
  if (d.has_baseline) {
    by_n.push_back(baseline_line(d));
    by_t.push_back(baseline_line(d));
  }
  PlotOptions po{"plot-best-vs-trials", "trials finished", d.metric + d.goal_note, TickFormat::number,
                 TickFormat::number, false, true, 560, 340};
  p.add("<div class=\"plots\">\n");
  p.add(figure(render_plot(po, by_n),
               "Best " + d.metric + " so far (line) and each ok trial (dots) against the number of finished trials."));
  po = {"plot-best-vs-time", "wall time", d.metric + d.goal_note, TickFormat::duration, TickFormat::number, false,
        false, 560, 340};
  p.add(figure(render_plot(po, by_t), "The same against wall time since the run started (trial finish times)."));
  p.add("</div>\n</section>\n");
}

// The trials that finished with a validation curve, best first, at most kMaxCurves.
constexpr size_t kMaxCurves = 60;

void learning_curves_section(Page& p, const ReportData& d) {
  p.add("<section id=\"learning-curves\"><h2>Learning curves</h2>\n");
  std::vector<const TrialRecord*> with;
  for (const TrialRecord* t : d.ranked)
    if (!t->curve.points.empty()) with.push_back(t);
  for (const auto& t : d.run.trials)   // then the others (stopped early, timed out, ...) in file order
    if (!t.curve.points.empty() && t.status != TrialStatus::ok) with.push_back(&t);
  if (with.empty()) {
    p.add(missing("plot-learning-curves", "No trial reported validation scores while training (table lookups do not train)."));
    p.add("</section>\n");
    return;
  }
  const size_t shown = std::min(with.size(), kMaxCurves);
  const std::string curve_metric = with[0]->curve.metric;
  std::vector<PlotSeries> series;
  for (size_t i = shown; i-- > 0;) {   // the best last, so it is drawn on top
    const TrialRecord& t = *with[i];
    const bool best = d.best_id && t.id == *d.best_id;
    PlotSeries s{PlotSeries::Kind::line, best ? "best trial (" + std::to_string(t.id) + ")" : "", best ? "curve-best" : "curve",
                 0, {}, "trial " + std::to_string(t.id) + " (" + to_string(t.status) + ")"};
    for (const auto& [step, v] : t.curve.points) s.points.push_back({static_cast<double>(step), v, ""});
    series.push_back(std::move(s));
  }
  if (shown > 1) series.push_back({PlotSeries::Kind::line, "other trials", "curve", 0, {}, ""});
  PlotOptions po{"plot-learning-curves", "training step", curve_metric, TickFormat::number, TickFormat::number,
                 false, true, 1140, 360};
  p.add(figure(render_plot(po, series),
               curve_metric + " at each validation during training, one line per trial: " + std::to_string(shown) +
                   " of the " + std::to_string(with.size()) +
                   " trials that reported one (ok trials best first, then the others). Hover a line for its trial."));
  p.add("</section>\n");
}

struct CostAxis {
  std::string id, metric, what;
  TickFormat fmt;
};

std::vector<CostAxis> cost_axes(const ReportData& d) {
  return {{"score-vs-params", find_metric(d.run.trials, "params", "params"), "parameters", TickFormat::si},
          {"score-vs-latency", find_metric(d.run.trials, "latency_ms_b1", "latency"), "latency", TickFormat::number}};
}

// The ok trials that report the cost metric, with their Pareto front.
struct CostPoints {
  std::vector<const TrialRecord*> trials;
  std::vector<double> cost, score;
  std::vector<size_t> front;   // indices into trials, increasing cost
};

CostPoints cost_points(const ReportData& d, const std::string& metric) {
  CostPoints c;
  for (const TrialRecord* t : d.ok)
    if (auto v = t->metric(metric); v && std::isfinite(*v)) {
      c.trials.push_back(t);
      c.cost.push_back(*v);
      c.score.push_back(*t->score);
    }
  c.front = pareto_front(c.cost, c.score, d.minimize());
  return c;
}

void cost_plot(Page& p, const ReportData& d, const CostAxis& axis) {
  const std::string id = "plot-" + axis.id;
  if (axis.metric.empty()) return p.add(missing(id, "No trial reports " + axis.what + ": no " + d.metric + " vs " + axis.what + " plot."));
  const CostPoints c = cost_points(d, axis.metric);
  if (c.trials.empty()) return p.add(missing(id, "No ok trial reports " + axis.metric + " yet."));
  std::vector<double> xs = c.cost;
  std::optional<double> base_cost;
  if (d.has_baseline)
    if (auto it = d.run.summary.baseline->metrics.find(axis.metric);
        it != d.run.summary.baseline->metrics.end() && it->second && std::isfinite(*it->second)) {
      base_cost = *it->second;
      xs.push_back(*base_cost);
    }
  std::vector<bool> on_front(c.trials.size(), false);
  for (size_t i : c.front) on_front[i] = true;
  PlotSeries dots{PlotSeries::Kind::points, "trial (ok)", "pt-ok", 2.6, {}, ""};
  PlotSeries fline{PlotSeries::Kind::step, "", "front", 0, {}, ""};
  PlotSeries fdots{PlotSeries::Kind::points, "Pareto front (" + std::to_string(c.front.size()) + ")", "pt-front", 3.8, {}, ""};
  for (size_t i = 0; i < c.trials.size(); ++i)
    if (!on_front[i]) dots.points.push_back({c.cost[i], c.score[i], trial_tooltip(*c.trials[i], d.metric)});
  for (size_t i : c.front) {
    fline.points.push_back({c.cost[i], c.score[i], ""});
    fdots.points.push_back({c.cost[i], c.score[i], "Pareto front: " + trial_tooltip(*c.trials[i], d.metric)});
  }
  std::vector<PlotSeries> series = {dots, fline, fdots};
  if (base_cost)
    series.push_back({PlotSeries::Kind::diamonds, "baseline", "pt-baseline", 7,
                      {{*base_cost, *d.run.summary.baseline->score, d.baseline_tooltip()}}, ""});
  else if (d.has_baseline)
    series.push_back(baseline_line(d));
  PlotOptions po{id, axis.metric, d.metric + d.goal_note, axis.fmt, TickFormat::number, wants_log_axis(xs), false, 560, 340};
  p.add(figure(render_plot(po, series),
               d.metric + " against " + axis.metric + " for the " + std::to_string(c.trials.size()) +
                   " ok trials that report it; red: the Pareto front (no other trial is both cheaper and better)."));
}

void tradeoffs_section(Page& p, const ReportData& d) {
  p.add("<section id=\"tradeoffs\"><h2>Quality against cost</h2>\n<div class=\"plots\">\n");
  for (const auto& axis : cost_axes(d)) cost_plot(p, d, axis);
  p.add("</div>\n</section>\n");
}

// The Pareto set as tables: the trials of each front, cheapest first.
void pareto_section(Page& p, const ReportData& d) {
  p.add("<section id=\"pareto\"><h2>Pareto set</h2>\n");
  bool any = false;
  for (const auto& axis : cost_axes(d)) {
    if (axis.metric.empty()) continue;
    const CostPoints c = cost_points(d, axis.metric);
    if (c.front.empty()) continue;
    any = true;
    p.add("<h3>" + esc(d.metric) + " against " + esc(axis.metric) + "</h3>\n<table id=\"pareto-" + esc(axis.id) +
          "\"><tr>" + th("trial", true) + th(axis.metric, true) + th(d.metric, true) + th("architecture") + "</tr>\n");
    for (size_t i : c.front)
      p.add("<tr>" + td(std::to_string(c.trials[i]->id), true) + td(metric_value_text(axis.metric, c.cost[i]), true) +
            td(score_text(c.score[i]), true) + arch_td(c.trials[i]->arch) + "</tr>\n");
    p.add("</table>\n");
  }
  if (!any) p.add("<p class=\"note\">No ok trial reports a cost metric (parameters or latency): no Pareto set.</p>\n");
  else p.add("<p class=\"sub\">Each row: no other ok trial is both cheaper and better. Pick the cheapest that is good enough.</p>\n");
  p.add("</section>\n");
}

// A Pareto search (objective.metrics): the set it searched for, as summary.json
// lists it and `export --pareto` exports it.
void search_front_section(Page& p, const RunPareto& front) {
  p.add("<section id=\"search-front\"><h2>Pareto set of the search (" + std::to_string(front.trials.size()) +
        " trials)</h2>\n<p class=\"sub\">The search traded off");
  for (size_t i = 0; i < front.metrics.size(); ++i)
    p.add(std::string(i ? (i + 1 == front.metrics.size() ? " and " : ", ") : " ") + esc(front.metrics[i]) +
          (front.minimize[i] ? " (lower is better)" : " (higher is better)"));
  p.add(". No finished trial is at least as good in every one of them and better in one. "
        "<code>mctsnas export RUN --pareto</code> exports each.</p>\n<table id=\"search-front-table\"><tr>" +
        th("trial", true));
  for (const auto& m : front.metrics) p.add(th(m, true));
  p.add(th("architecture") + "</tr>\n");
  for (const auto& t : front.trials) {
    p.add("<tr>" + td(std::to_string(t.id), true));
    for (const auto& m : front.metrics) {
      auto it = t.metrics.find(m);
      p.add(td(metric_value_text(m, it == t.metrics.end() ? std::nullopt : it->second), true));
    }
    p.add(arch_td(t.arch) + "</tr>\n");
  }
  p.add("</table>\n</section>\n");
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

void status_section(Page& p, const ReportData& d) {
  const auto& trials = d.run.trials;
  p.add("<section id=\"status\"><h2>Trial status</h2>\n");
  if (trials.empty()) {
    p.add(missing("plot-status", "No trials in trials.jsonl yet.") + "</section>\n");
    return;
  }
  std::map<TrialStatus, int> counts;
  std::map<TrialStatus, std::string> example;
  for (const auto& t : trials) {
    ++counts[t.status];
    if (!t.error.empty() && !example.count(t.status)) example[t.status] = t.error;
  }
  std::vector<Bar> bars;
  std::string rows;
  for (TrialStatus st : all_trial_statuses()) {
    if (!counts.count(st)) continue;
    const std::string cls = st == TrialStatus::ok ? "bar-ok"
                            : (st == TrialStatus::stopped_early || st == TrialStatus::infeasible) ? "bar-other"
                                                                                                    : "bar-fail";
    bars.push_back({to_string(st), static_cast<double>(counts[st]), cls,
                    std::string(to_string(st)) + ": " + std::to_string(counts[st]) + " trials"});
    char share[32];
    std::snprintf(share, sizeof share, "%.1f%%", 100.0 * counts[st] / static_cast<double>(trials.size()));
    rows += "<tr>" + td(to_string(st)) + td(std::to_string(counts[st]), true) + td(share, true) +
            td(example.count(st) ? example[st] : "") + "</tr>\n";
  }
  p.add(render_bar_chart("plot-status", bars));
  p.add("<table><tr>" + th("status") + th("trials", true) + th("share", true) + th("first error") + "</tr>\n" + rows +
        "</table>\n</section>\n");
}

void top_trials_section(Page& p, const ReportData& d) {
  const auto& ranked = d.ranked;
  p.add("<section id=\"top-trials\"><h2>Top " + std::to_string(std::min<size_t>(10, ranked.size())) + " trials</h2>\n");
  if (ranked.empty()) {
    p.add("<p class=\"note\">No trial finished ok yet.</p>\n</section>\n");
    return;
  }
  const std::string pm = find_metric(d.run.trials, "params", "params");
  const std::string lm = find_metric(d.run.trials, "latency_ms_b1", "latency");
  p.add("<table id=\"top-table\"><tr>" + th("rank", true) + th("trial", true) + th(d.metric, true));
  if (!pm.empty()) p.add(th(pm, true));
  if (!lm.empty()) p.add(th(lm, true));
  p.add(th("seconds", true) + th("device") + th("architecture") + "</tr>\n");
  for (size_t i = 0; i < ranked.size() && i < 10; ++i) {
    const TrialRecord& t = *ranked[i];
    p.add(std::string(i == 0 ? "<tr class=\"best\">" : "<tr>") + td(std::to_string(i + 1), true) +
          td(std::to_string(t.id), true) + td(score_text(t.score), true));
    if (!pm.empty()) p.add(td(metric_value_text(pm, t.metric(pm)), true));
    if (!lm.empty()) p.add(td(metric_value_text(lm, t.metric(lm)), true));
    p.add(td(format_duration(t.seconds), true) + td(t.device) + arch_td(t.arch) + "</tr>\n");
  }
  p.add("</table>\n</section>\n");
}

// The best trial's architecture as DOT, drawn by the run's space (config.resolved.yaml).
std::string winner_dot(const ReportData& d) {
  const TrialRecord& t = *d.ranked[0];
  const RunOptions config = load_run_config(d.run.dir);
  const auto space = make_space(config.space);
  return to_dot(*space, trial_architecture(*space, t, (d.run.dir / "trials.jsonl").string() + ":" + std::to_string(t.line)));
}

const char* kCellsNote =
    "Boxes prev and prev2 are a cell's inputs: prev is the layer's input (the previous layer's output, the "
    "embeddings in the first layer), prev2 the previous layer's input (the embeddings in the first two layers). "
    "Each edge applies its op; a node sums its inputs; out combines the nodes nothing else reads. Dashed grey: "
    "not connected to the output. In encoder-decoder models, the blue box is the encoder's output (memory) that "
    "each cross_attention edge's node also reads.";

void best_cells_section(Page& p, const ReportData& d) {
  p.add("<section id=\"best-cells\"><h2>Best architecture: cells</h2>\n");
  if (d.ranked.empty()) {
    p.add("<p class=\"note\">No trial finished ok yet: no architecture to draw.</p>\n</section>\n");
    return;
  }
  std::string dot;
  try {
    dot = winner_dot(d);
  } catch (const Error& e) {
    p.add("<p class=\"note\">Cannot draw trial " + std::to_string(d.ranked[0]->id) + ": " + esc(e.what()) +
          "</p>\n</section>\n");
    return;
  }
  SvgDrawing drawing;
  if (!d.options.dot_program.empty())
    drawing = render_dot_svg(dot, {d.options.dot_program, d.options.dot_timeout_seconds});
  if (drawing.svg.empty()) {
    const std::string why = d.options.dot_program.empty() ? "Graphviz is not used here" : drawing.problem;
    p.add("<p class=\"note\">" + esc(why) + ", so here is the drawing as DOT text "
          "(install graphviz and run <code>mctsnas report</code> again for a picture).</p>\n");
    p.add("<pre>" + esc(dot) + "</pre>\n");
  } else {
    p.add("<div class=\"cells\">" + inline_svg(drawing.svg) + "</div>\n");
  }
  p.add("<p class=\"sub\">" +
        esc("Trial " + std::to_string(d.ranked[0]->id) + ", drawn from the run's search space. " + kCellsNote) +
        "</p>\n</section>\n");
}

void tree_section(Page& p, const ReportData& d) {
  p.add("<section id=\"tree\"><h2>Search tree</h2>\n");
  if (!d.run.stats) {
    p.add(missing("plot-visits-by-depth", "No search_stats.json: this algorithm keeps no tree, or the run wrote none."));
    p.add("</section>\n");
    return;
  }
  const RunSearchStats& st = *d.run.stats;
  p.add("<p>" + esc(std::to_string(st.nodes)) + " nodes.</p>\n");
  if (st.visits_by_depth.empty()) {
    p.add(missing("plot-visits-by-depth", "No visit counts recorded."));
  } else {
    std::vector<Bar> bars;
    for (size_t i = 0; i < st.visits_by_depth.size(); ++i)
      bars.push_back({std::to_string(i), static_cast<double>(st.visits_by_depth[i]), "bar-depth",
                      "depth " + std::to_string(i) + ": " + std::to_string(st.visits_by_depth[i]) + " visits"});
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
  p.add("</section>\n");
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

// best/compressed/compress.json (mctsnas compress), when the run has one.
void compressed_section(Page& p, const ReportData& d) {
  const fs::path file = d.run.dir / "best" / "compressed" / "compress.json";
  const std::string text = read_file_or_empty(file);
  if (text.empty()) return;
  p.add("<section id=\"compressed\"><h2>Compressed variants of the exported model</h2>\n");
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains("variants") || !j.contains("metric")) {
    p.add(missing("compressed-bad", file.string() + " is not compress.json's format; run mctsnas compress again.") +
          "</section>\n");
    return;
  }
  const std::string metric = j.value("metric", "");
  const std::string test = "test_" + metric.substr(metric.find('_') + 1);
  p.add("<table id=\"compressed-table\"><tr>" + th("variant") + th(metric, true) + th(test, true) +
        th("loss", true) + th("weights KB", true) + th("batch-1 ms", true) + th("batch-32 ms", true) +
        th("load ms", true) + "</tr>\n");
  auto num = [](const nlohmann::json& m, const std::string& k, double scale = 1) {
    return score_text(m.contains(k) && m[k].is_number() ? std::optional<double>(m[k].get<double>() / scale)
                                                        : std::nullopt);
  };
  for (const auto& v : j["variants"]) {
    const auto& m = v.value("metrics", nlohmann::json::object());
    const bool rec = v.value("recommended", false);
    p.add(std::string(rec ? "<tr class=\"best\">" : "<tr>") + td(v.value("name", "?") + (rec ? " (recommended)" : "")) +
          td(num(m, metric), true) + td(num(m, test), true) + td(num(v, "metric_loss"), true) +
          td(num(m, "weights_bytes", 1024), true) + td(num(m, "latency_ms_b1"), true) +
          td(num(m, "latency_ms_b32"), true) + td(num(m, "load_ms"), true) + "</tr>\n");
  }
  p.add("</table>\n<p class=\"sub\">CPU, " + std::to_string(j.value("threads", 0)) + " threads, LibTorch " +
        esc(j.value("libtorch", "?")) + ", int8 engine " + esc(j.value("engine", "?")) +
        ". Recommended: the fastest at batch 1 whose " + esc(metric) + " loss is at most " +
        score_text(j.value("max_metric_loss", 0.0)) + ".</p>\n</section>\n");
}

// The exported classifier's confusion matrix on the test split (best/metrics.json,
// written by mctsnas export), when the run has one.
void confusion_section(Page& p, const ReportData& d) {
  const auto j = nlohmann::json::parse(read_file_or_empty(d.run.dir / "best" / "metrics.json"), nullptr, false);
  if (!j.is_object() || !j.contains("export") || !j["export"].contains("confusion")) return;
  const auto& c = j["export"]["confusion"];
  if (!c.contains("labels") || !c.contains("test") || !c["test"].is_array()) return;
  const auto labels = c["labels"];
  p.add("<section id=\"confusion\"><h2>Exported model: confusion matrix (test)</h2>\n"
        "<table id=\"confusion-table\"><tr>" + th("true \\ predicted"));
  for (const auto& l : labels) p.add(th(l.is_string() ? l.get<std::string>() : "?", true));
  p.add("</tr>\n");
  for (size_t r = 0; r < c["test"].size() && r < labels.size(); ++r) {
    p.add("<tr>" + th(labels[r].is_string() ? labels[r].get<std::string>() : "?"));
    for (const auto& v : c["test"][r]) {
      const std::string n = v.is_number_integer() ? std::to_string(v.get<int64_t>()) : "?";
      p.add(n == "0" ? td("", true) : td(n, true));
    }
    p.add("</tr>\n");
  }
  p.add("</table>\n<p class=\"sub\">Rows: the true label; columns: the model's; on the test split as the export "
        "scored it (the first " + std::to_string(c.value("examples", 0)) + " examples). The validation matrix is in "
        "best/metrics.json.</p>\n</section>\n");
}

// A JSON number as score_text writes it; "n/a" for anything else.
std::string json_number_text(const nlohmann::json& v) {
  return score_text(v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt);
}

// "test_per 0.084 ± 0.001" from one side of `baseline_seeds`, "" without test figures.
std::string test_text(const nlohmann::json& side) {
  if (!side.contains("test") || !side["test"].is_object()) return "";
  const auto& t = side["test"];
  return t.value("metric", "test") + " " + json_number_text(t.value("mean", nlohmann::json())) + " ± " +
         json_number_text(t.value("se", nlohmann::json()));
}

// summary.json's `baseline_seeds` (app/seed_comparison.h), when the run has one.
void seeds_section(Page& p, const ReportData& d) {
  const auto& s = d.run.summary.baseline_seeds;
  if (!s.is_object()) return;
  const auto num = json_number_text;
  const std::string metric = d.run.summary.metric;
  p.add("<section id=\"seeds\"><h2>The best against the reference over " + std::to_string(s.value("seeds", 0)) +
        " other seeds</h2>\n<table id=\"seeds-table\"><tr>" + th("model") + th("params", true) +
        th(metric + " mean", true) + th("standard error", true) + th("finished", true) + th("each seed") +
        th("test mean ± SE", true) + "</tr>\n");
  for (const char* side : {"winner", "reference"}) {
    const auto& m = s.value(side, nlohmann::json::object());
    std::string each;
    for (const auto& v : m.value("scores", nlohmann::json::array())) each += (each.empty() ? "" : ", ") + num(v);
    p.add("<tr>" + td(std::string(side) == "winner" ? "best architecture" : "reference Transformer") +
          td(num(m.value("params", nlohmann::json())), true) + td(num(m.value("mean", nlohmann::json())), true) +
          td(num(m.value("se", nlohmann::json())), true) + td(std::to_string(m.value("n", 0)), true) + td(each) +
          td(test_text(m), true) + "</tr>\n");
  }
  std::string verdict = s.value("verdict", "");
  if (s.contains("difference"))
    verdict = "Difference (best − reference) " + num(s["difference"]) + ", combined standard error " +
              num(s["combined_se"]) + ": " + verdict + ".";
  p.add("</table>\n<p>" + esc(verdict) + "</p>\n<p class=\"sub\">Both retrained from seeds other than the "
        "search's, without early stopping (task.baseline_seeds); the best's search score is left out, since it was "
        "chosen as the best of many.</p>\n</section>\n");
}

// Throughput against p99 latency, one line per serve-plan setting through its batch sizes.
std::vector<PlotSeries> serving_series(const nlohmann::json& settings) {
  std::vector<PlotSeries> series;
  bool labelled[2] = {false, false};
  for (const auto& s : settings) {
    const bool ref = s.value("model", "") == "reference";
    PlotSeries line{PlotSeries::Kind::line, "", ref ? "baseline" : "curve", 3, {}, ""};
    if (!labelled[ref]) line.label = ref ? "reference Transformer" : "winner";
    const std::string name = s.value("model", "?") + " " + s.value("device", "?") + ", " +
                             std::to_string(s.value("threads_per_instance", 0)) + " threads x " +
                             std::to_string(s.value("instances", 0)) + " instances";
    line.tooltip = name;
    for (const auto& pt : s.value("points", nlohmann::json::array()))
      line.points.push_back({pt.value("p99_ms", 0.0), pt.value("throughput_per_s", 0.0),
                             name + ", batch " + std::to_string(pt.value("batch", 0))});
    if (line.points.empty()) continue;
    labelled[ref] = true;
    PlotSeries dots = line;
    dots.label.clear();
    dots.kind = PlotSeries::Kind::points;
    dots.css_class = ref ? "pt-baseline" : "pt-ok";
    series.push_back(std::move(line));
    series.push_back(std::move(dots));
  }
  return series;
}

// best/serving/serve_plan.json (mctsnas serve-plan), when the run has one.
void serving_section(Page& p, const ReportData& d) {
  const fs::path file = d.run.dir / "best" / "serving" / "serve_plan.json";
  const std::string text = read_file_or_empty(file);
  if (text.empty()) return;
  p.add("<section id=\"serving\"><h2>Serving plan</h2>\n");
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains("recommended") || !j.contains("settings") || !j["settings"].is_array()) {
    p.add(missing("serving-bad", file.string() + " is not serve_plan.json's format; run mctsnas serve-plan again.") +
          "</section>\n");
    return;
  }
  p.add("<table id=\"serving-table\"><tr>" + th("model") + th("device") + th("threads", true) + th("instances", true) +
        th("batch", true) + th("p50 ms", true) + th("p99 ms", true) + th("seq/s", true) + "</tr>\n");
  for (const auto& [model, devices] : j["recommended"].items())
    for (const auto& [device, r] : devices.items())
      p.add("<tr>" + td(model) + td(device) + td(std::to_string(r.value("threads_per_instance", 0)), true) +
            td(std::to_string(r.value("instances_per_numa_node", r.value("instances_per_gpu", 0))), true) + td(std::to_string(r.value("batch_size", 0)), true) +
            td(score_text(r.value("p50_ms", 0.0)), true) + td(score_text(r.value("p99_ms", 0.0)), true) +
            td(format_value(r.value("throughput_per_s", 0.0)), true) + "</tr>\n");
  p.add("</table>\n");
  PlotOptions po{"serving-plot", "p99 latency per request (ms)", "sequences per second", TickFormat::number,
                 TickFormat::si};
  const auto series = serving_series(j["settings"]);
  std::vector<double> xs;
  for (const auto& s : series)
    for (const auto& pt : s.points) xs.push_back(pt.x);
  po.x_log = wants_log_axis(xs);
  if (!series.empty())
    p.add(figure(render_plot(po, series), "Each line is one setting (threads per instance x instances) through its "
                                          "batch sizes; up and left is better."));
  const auto& m = j.value("machine", nlohmann::json::object());
  p.add("<p class=\"sub\">Measured " + esc(m.value("measured_at", "?")) + " with LibTorch " +
        esc(m.value("libtorch", "?")) + ", p99 target " + score_text(j["sweep"].value("p99_target_ms", 0.0)) +
        " ms; the recommendation is in best/serving.yaml.</p>\n</section>\n");
}

std::string render_report(const RunData& run, const ReportOptions& options) {
  const ReportData d = analyse(run, options);
  Page p;
  head_section(p, d);
  facts_section(p, run, d.best_score, d.best_id, d.best_arch);
  progress_section(p, d);
  learning_curves_section(p, d);
  tradeoffs_section(p, d);
  if (run.summary.pareto) search_front_section(p, *run.summary.pareto);
  pareto_section(p, d);
  status_section(p, d);
  top_trials_section(p, d);
  best_cells_section(p, d);
  seeds_section(p, d);
  confusion_section(p, d);
  compressed_section(p, d);
  serving_section(p, d);
  tree_section(p, d);
  p.add("<footer><p class=\"sub\">mctsnas " + esc(run.summary.version) + " &#183; " + esc(run.dir.string()) +
        "</p></footer>\n</body>\n</html>\n");
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
