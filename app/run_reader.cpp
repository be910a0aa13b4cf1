#include "app/run_reader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strings.h"
#include "evaluator/trial_json.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace mctsnas {

namespace {

// Field readers: `where` is "file:line" (or "file"), so every message says where.
const json* find(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

[[noreturn]] void bad(const std::string& where, const char* key, const char* expected) {
  throw Error(where + ": field '" + key + "' must be " + expected);
}

std::optional<double> opt_number(const json& j, const char* key, const std::string& where) {
  const json* v = find(j, key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_number()) bad(where, key, "a number or null");
  return v->get<double>();
}

double number_or(const json& j, const char* key, double dflt, const std::string& where) {
  return opt_number(j, key, where).value_or(dflt);
}

int64_t integer_or(const json& j, const char* key, int64_t dflt, const std::string& where) {
  const json* v = find(j, key);
  if (!v || v->is_null()) return dflt;
  if (!v->is_number_integer()) bad(where, key, "an integer");
  return v->get<int64_t>();
}

int64_t required_integer(const json& j, const char* key, const std::string& where) {
  const json* v = find(j, key);
  if (!v) throw Error(where + ": missing field '" + key + "'");
  if (!v->is_number_integer()) bad(where, key, "an integer");
  return v->get<int64_t>();
}

std::string string_or(const json& j, const char* key, const std::string& where) {
  const json* v = find(j, key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) bad(where, key, "a string");
  return v->get<std::string>();
}

std::map<std::string, std::optional<double>> metric_map(const json& j, const char* key,
                                                       const std::string& where) {
  std::map<std::string, std::optional<double>> out;
  const json* m = find(j, key);
  if (!m || m->is_null()) return out;
  if (!m->is_object()) bad(where, key, "an object of numbers");
  for (auto it = m->begin(); it != m->end(); ++it) {
    if (it->is_null()) {
      out[it.key()] = std::nullopt;
    } else if (it->is_number()) {
      out[it.key()] = it->get<double>();
    } else {
      throw Error(where + ": metric '" + it.key() + "' must be a number or null");
    }
  }
  return out;
}

TrialRecord trial_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": expected a JSON object (one trial per line)");
  TrialRecord t;
  t.id = required_integer(j, "id", where);
  t.arch = string_or(j, "arch", where);
  if (const json* c = find(j, "choices"); c && !c->is_null()) {
    if (!c->is_array()) bad(where, "choices", "an array of integers");
    for (const auto& x : *c) {
      if (!x.is_number_integer()) bad(where, "choices", "an array of integers");
      t.choices.push_back(x.get<int>());
    }
  }
  t.canonical = string_or(j, "canonical", where);
  const json* st = find(j, "status");
  if (!st) throw Error(where + ": missing field 'status'");
  if (!st->is_string()) bad(where, "status", "a string");
  auto status = trial_status_from_string(st->get<std::string>());
  if (!status) {
    std::string names;
    for (TrialStatus s : all_trial_statuses()) names += std::string(names.empty() ? "" : ", ") + to_string(s);
    throw Error(where + ": unknown status '" + st->get<std::string>() + "' (expected one of " + names + ")");
  }
  t.status = *status;
  t.score = opt_number(j, "score", where);
  t.reward = opt_number(j, "reward", where);
  t.metrics = metric_map(j, "metrics", where);
  t.error = string_or(j, "error", where);
  t.seconds = number_or(j, "seconds", 0, where);
  if (const json* b = find(j, "budget")) t.budget = *b;
  t.device = string_or(j, "device", where);
  if (const json* c = find(j, "curve")) t.curve = learning_curve_from_json(*c, where);
  // Runs from before the ISO times kept seconds in started_at/finished_at.
  const bool iso = find(j, "started_s") != nullptr;
  t.started_at = number_or(j, iso ? "started_s" : "started_at", 0, where);
  t.finished_at = number_or(j, iso ? "finished_s" : "finished_at", 0, where);
  if (iso) t.started_utc = string_or(j, "started_at", where);
  return t;
}

// Fills what summary.json would have said from config.resolved.yaml, for a run
// killed before its first summary. Best effort: a field it cannot read stays empty.
void summary_from_config(const fs::path& file, RunSummary& s) {
  if (!fs::exists(file)) return;
  try {
    YAML::Node c = YAML::LoadFile(file.string());
    if (c["name"]) s.name = c["name"].as<std::string>();
    if (c["space"] && c["space"]["kind"]) s.space = c["space"]["kind"].as<std::string>();
    if (c["search"] && c["search"]["algorithm"]) s.algorithm = c["search"]["algorithm"].as<std::string>();
    if (c["search"] && c["search"]["trials"]) s.trials_target = c["search"]["trials"].as<int64_t>();
    if (c["objective"] && c["objective"]["metric"]) s.metric = c["objective"]["metric"].as<std::string>();
    if (c["objective"] && c["objective"]["goal"])
      s.minimize = c["objective"]["goal"].as<std::string>() == "minimize";
  } catch (const YAML::Exception& e) {
    throw Error(file.string() + ": cannot read the resolved config: " + one_line(e.what()));
  }
}

}  // namespace

std::optional<double> TrialRecord::metric(const std::string& name) const {
  auto it = metrics.find(name);
  return it == metrics.end() ? std::nullopt : it->second;
}

const std::vector<TrialStatus>& all_trial_statuses() {
  static const std::vector<TrialStatus> all = {
      TrialStatus::ok,       TrialStatus::timeout, TrialStatus::oom_host,
      TrialStatus::oom_gpu,  TrialStatus::diverged, TrialStatus::crashed,
      TrialStatus::killed,   TrialStatus::invalid,  TrialStatus::infeasible,
      TrialStatus::stopped_early};
  return all;
}

bool is_run_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) &&
         (fs::exists(dir / "summary.json", ec) || fs::exists(dir / "trials.jsonl", ec));
}

RunPareto read_pareto(const json& p, const std::string& where) {
  if (!p.is_object()) bad(where, "pareto", "an object {metrics, goals, trials}");
  RunPareto out;
  const json* metrics = find(p, "metrics");
  const json* goals = find(p, "goals");
  const json* trials = find(p, "trials");
  if (!metrics || !metrics->is_array() || !goals || !goals->is_array() || goals->size() != metrics->size() ||
      !trials || !trials->is_array())
    bad(where, "pareto", "an object {metrics: [names], goals: [one per metric], trials: [...]}");
  for (const json& m : *metrics) {
    if (!m.is_string()) bad(where, "pareto.metrics", "a list of metric names");
    out.metrics.push_back(m.get<std::string>());
  }
  for (const json& g : *goals) {
    if (g != "maximize" && g != "minimize") bad(where, "pareto.goals", "a list of maximize or minimize");
    out.minimize.push_back(g == "minimize");
  }
  for (const json& t : *trials) {
    if (!t.is_object()) bad(where, "pareto.trials", "a list of objects {id, arch, metrics}");
    out.trials.push_back({required_integer(t, "id", where + ": pareto.trials"), string_or(t, "arch", where),
                          metric_map(t, "metrics", where + ": pareto.trials")});
  }
  return out;
}

RunSummary read_summary(const fs::path& file) {
  const std::string where = file.string();
  json j;
  try {
    j = json::parse(read_file(file));
  } catch (const json::exception& e) {   // parse_error, or out_of_range for a number past double
    throw Error(where + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(where + ": expected a JSON object");
  RunSummary s;
  s.name = string_or(j, "name", where);
  s.algorithm = string_or(j, "algorithm", where);
  s.space = string_or(j, "space", where);
  if (const json* o = find(j, "objective"); o && !o->is_null()) {
    if (!o->is_object()) bad(where, "objective", "an object {metric, goal}");
    s.metric = string_or(*o, "metric", where + ": objective");
    std::string goal = string_or(*o, "goal", where + ": objective");
    if (goal != "maximize" && goal != "minimize" && !goal.empty())
      throw Error(where + ": objective.goal must be 'maximize' or 'minimize', not '" + goal + "'");
    s.minimize = goal == "minimize";
  }
  s.trials_finished = integer_or(j, "trials_finished", 0, where);
  s.trials_target = integer_or(j, "trials_target", 0, where);
  if (const json* b = find(j, "best"); b && !b->is_null()) {
    if (!b->is_object()) bad(where, "best", "an object {id, arch, score} or null");
    RunBest best;
    best.id = required_integer(*b, "id", where + ": best");
    best.arch = string_or(*b, "arch", where + ": best");
    best.score = opt_number(*b, "score", where + ": best");
    s.best = best;
  }
  s.wall_seconds = number_or(j, "wall_seconds", 0, where);
  s.state = string_or(j, "state", where);
  if (s.state != "running" && s.state != "finished" && s.state != "interrupted" && !s.state.empty())
    throw Error(where + ": state must be running, finished or interrupted, not '" + s.state + "'");
  if (const json* b = find(j, "baseline"); b && !b->is_null()) {
    if (!b->is_object()) bad(where, "baseline", "an object {arch, score, metrics} or null");
    RunBaseline base;
    base.arch = string_or(*b, "arch", where + ": baseline");
    base.score = opt_number(*b, "score", where + ": baseline");
    base.metrics = metric_map(*b, "metrics", where + ": baseline");
    s.baseline = base;
  }
  if (const json* p = find(j, "pareto"); p && !p->is_null()) s.pareto = read_pareto(*p, where);
  if (const json* b = find(j, "baseline_seeds"); b && b->is_object()) s.baseline_seeds = *b;
  s.version = string_or(j, "mctsnas_version", where);
  return s;
}

std::vector<TrialRecord> read_trials(const fs::path& file, std::vector<std::string>* warnings) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return {};
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open for reading");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return parse_trials(text, file.string(), warnings);
}

std::vector<TrialRecord> parse_trials(std::string_view text, const std::string& name,
                                      std::vector<std::string>* warnings) {
  // All lines first: only the last non-empty line may be excused as truncated.
  std::vector<std::pair<int, std::string_view>> lines;
  int n = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++n;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    lines.emplace_back(n, line);
  }
  std::vector<TrialRecord> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string where = name + ":" + std::to_string(lines[i].first);
    json j;
    try {
      j = json::parse(lines[i].second);
    } catch (const json::exception& e) {   // parse_error, or out_of_range for a number past double
      if (i + 1 == lines.size()) {
        if (warnings)
          warnings->push_back(where + ": last line is not complete JSON (the run was probably "
                              "killed while writing it); skipped");
        break;
      }
      throw Error(where + ": not valid JSON: " + e.what());
    }
    TrialRecord t = trial_from_json(j, where);
    t.line = lines[i].first;
    out.push_back(std::move(t));
  }
  return out;
}

int64_t count_trials(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return 0;
  int64_t lines = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) lines += std::count(buf, buf + in.gcount(), '\n');
  return lines;
}

RunSearchStats read_search_stats(const fs::path& file) {
  const std::string where = file.string();
  json j;
  try {
    j = json::parse(read_file(file));
  } catch (const json::exception& e) {   // parse_error, or out_of_range for a number past double
    throw Error(where + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(where + ": expected a JSON object");
  RunSearchStats s;
  s.nodes = integer_or(j, "nodes", 0, where);
  if (const json* v = find(j, "visits_by_depth"); v && !v->is_null()) {
    if (!v->is_array()) bad(where, "visits_by_depth", "an array of integers");
    for (const auto& x : *v) {
      if (!x.is_number_integer()) bad(where, "visits_by_depth", "an array of integers");
      s.visits_by_depth.push_back(x.get<int64_t>());
    }
  }
  if (const json* p = find(j, "most_visited_path"); p && !p->is_null()) {
    if (!p->is_array()) bad(where, "most_visited_path", "an array of strings");
    for (const auto& x : *p) {
      if (!x.is_string()) bad(where, "most_visited_path", "an array of strings");
      s.most_visited_path.push_back(x.get<std::string>());
    }
  }
  return s;
}

RunData read_run(const fs::path& dir, const ReadRunOptions& options) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error(dir.string() + ": no such run directory");
  if (!fs::is_directory(dir, ec)) throw Error(dir.string() + ": not a directory (expected a run directory)");
  if (!is_run_dir(dir))
    throw Error(dir.string() + ": not a run directory (it has neither summary.json nor trials.jsonl)");
  RunData run;
  // "results/run/" names the same directory as "results/run"; keep the form with
  // a file name so that dir.filename() is the run's name.
  run.dir = dir.has_filename() || !dir.has_parent_path() ? dir : dir.parent_path();
  run.has_checkpoint = fs::exists(dir / "tree.ckpt", ec);
  if (fs::exists(dir / "summary.json", ec)) {
    run.summary = read_summary(dir / "summary.json");
    run.has_summary = true;
  } else {
    summary_from_config(dir / "config.resolved.yaml", run.summary);
    run.summary.state = "interrupted";
    run.warnings.push_back((dir / "summary.json").string() +
                           " is missing; the run stopped before writing it (figures from trials.jsonl)");
  }
  if (options.trials || !run.has_summary)
    run.trials = read_trials(dir / "trials.jsonl", &run.warnings);
  if (!run.has_summary) {
    run.summary.trials_finished = static_cast<int64_t>(run.trials.size());
    // Best of the ok trials, by the objective's direction.
    for (const auto& t : run.trials) {
      if (t.status != TrialStatus::ok || !t.score) continue;
      if (!run.summary.best || !run.summary.best->score ||
          (run.summary.minimize ? *t.score < *run.summary.best->score
                                : *t.score > *run.summary.best->score))
        run.summary.best = RunBest{t.id, t.arch, t.score};
    }
  }
  if (fs::exists(dir / "search_stats.json", ec)) run.stats = read_search_stats(dir / "search_stats.json");
  return run;
}

}  // namespace mctsnas
