// The config schema: one `bind_fields` per options struct, one line per key, beside
// the struct (search/search_options.h, space/space_options.h, evaluator/task_options.h,
// runtime/resource_options.h, app/run_options.h).
//
// TO ADD A FIELD: add the member to its options struct (e.g. MctsOptions in
// search/search_options.h) and ONE line to that struct's bind_fields:
//     v.field("yaml_key", o.member, CHECK);
// CHECK is optional and says what values are allowed (common/option_schema.h):
//     min(1), above(0), range(0, 1), min(1).max(64), non_empty(), non_empty().no_repeats(),
//     one_of({"a", "b"}), bytes(), duration(), path(), dir_name(), devices(), count_or_auto().
// Supported member types: bool, int/int64_t, uint64_t, double, std::string,
// std::optional<T>, std::vector<T>, enum classes with a name table (NamedEnum), and any
// struct with its own bind_fields (a nested section; `v.inline_section(s)` puts its keys
// in the enclosing section instead, as for space's cells keys). The same line then parses
// it (with all the strict checks and error messages), writes it into config.resolved.yaml,
// and is covered by the round-trip test in tests/config_test.cpp. This loader is the one
// place values are checked: code that receives the structs trusts them. Checks that span
// several fields go in check_cross_fields(). Keep key order = the order users read the
// resolved config in.
#include "app/config_loader.h"

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "app/yaml_fields.h"
#include "app/yaml_limits.h"
#include "common/strings.h"
#include "evaluator/task_dims.h"
#include "evaluator/task_metrics.h"

namespace mctsnas {

namespace {

// max_params and max_flops are judged before training, by a cost model: the cells
// space's own for a text task, a table's cost column for a table.
void check_cost_constraints(const config::Context& ctx, const RunOptions& o) {
  const bool table = o.task.kind == "table";
  const bool text = is_text_task(o.task.kind);
  const CostColumns& cols = o.task.cost_columns;
  if (!table && (!cols.params.empty() || !cols.flops.empty()))
    ctx.fail_at("task.cost_columns", "only a table task reads cost columns (task.kind is " + o.task.kind + ")");
  const ConstraintOptions& c = o.objective.constraints;
  for (auto [name, bound, column] : {std::tuple{"params", c.max_params, cols.params},
                                     std::tuple{"flops", c.max_flops, cols.flops}}) {
    if (!bound) continue;
    const std::string key = std::string("objective.constraints.max_") + name;
    if (table && column.empty())
      ctx.fail_at(key, std::string("a table task knows an architecture's ") + name +
                           " only from a column of the table: name it in task.cost_columns." + name);
    if (!table && !(text && o.space.kind == SpaceKind::cells))
      ctx.fail_at(key, std::string("no ") + name + " cost model for task.kind " + o.task.kind +
                           " (the cells space with a text task has one; a table has task.cost_columns)");
  }
}

// The user's own files: classify and seq2seq read all three splits, lm task.train and
// either both of validation and test or neither; never beside task.data (the built-in
// dataset's directory).
void check_user_files(const config::Context& ctx, const TaskOptions& t) {
  if (t.class_weights != "none" && t.kind != "classify")
    ctx.fail_at("task.class_weights", "weighs the classes of task.kind classify only, this task is " + t.kind);
  const bool any = !t.train.empty() || !t.validation.empty() || !t.test.empty();
  if (t.tokenizer != "char" && !(any && (t.kind == "lm" || t.kind == "seq2seq" || t.kind == "classify")))
    ctx.fail_at("task.tokenizer", t.tokenizer + " tokenizes your own files (task.train) of task.kind lm, seq2seq "
                                  "or classify; the built-in data are read as bytes: use char");
  if (t.tokenizer == "char" && !t.sentencepiece.model.empty())
    ctx.fail_at("task.sentencepiece.model", "is read by task.tokenizer: sentencepiece, and task.tokenizer is char");
  if (t.kind == "seq2seq" && !any)
    ctx.fail_at("task.train", "seq2seq reads your files: set task.train, task.validation and task.test "
                              "(.jsonl, .csv or .tsv)");
  if (!any) return;
  if (t.kind != "classify" && t.kind != "seq2seq" && t.kind != "lm")
    ctx.fail_at(!t.train.empty() ? "task.train" : !t.validation.empty() ? "task.validation" : "task.test",
                "the split files are read by task.kind classify, seq2seq and lm only, this task is " + t.kind);
  if (t.kind == "lm") {
    if (t.train.empty())
      ctx.fail_at(!t.validation.empty() ? "task.validation" : "task.test", "lm on your own text needs task.train");
    if (t.validation.empty() != t.test.empty())
      ctx.fail_at(t.validation.empty() ? "task.validation" : "task.test",
                  "lm reads task.validation and task.test together, or neither (then the lines of task.train are "
                  "split: line i to validation when i % 20 == 18, to test when i % 20 == 19)");
  } else {
    for (const auto& [key, file] : {std::pair{"task.train", &t.train}, {"task.validation", &t.validation},
                                    {"task.test", &t.test}})
      if (file->empty())
        ctx.fail_at(key, t.kind + " on your own files needs task.train, task.validation and task.test "
                                  "(.jsonl, .csv or .tsv)");
  }
  if (!t.data.empty())
    ctx.fail_at("task.data", "set either task.data (the built-in data) or task.train/validation/test "
                             "(your files), not both");
}

// Whether lower is better for a metric, when the config does not say: error rates,
// bits per character, losses, sizes and latencies.
Goal automatic_goal(const std::string& metric) {
  static const char* lower_is_better[] = {"per", "bpc", "loss", "error", "latency", "params", "flops", "wer"};
  bool minimize = metric == "ter" || metric.ends_with("_ter");   // token error rate
  for (const char* w : lower_is_better) minimize |= metric.find(w) != std::string::npos;
  return minimize ? Goal::minimize : Goal::maximize;
}

// objective.metrics (a Pareto search) and the single metric that ranks the best trial:
// the defaults that depend on the task, every name checked against what it reports.
void resolve_objective(const config::Context& ctx, RunOptions& r) {
  ObjectiveOptions& o = r.objective;
  if (o.metrics.size() == 1)
    ctx.fail_at("objective.metrics", "a Pareto search needs two or more metrics; for one, set objective.metric");
  if (!o.goals.empty() && o.goals.size() != o.metrics.size())
    ctx.fail_at("objective.goals", "needs one goal per objective.metrics entry (" + std::to_string(o.metrics.size()) +
                                       "), got " + std::to_string(o.goals.size()));
  for (size_t i = 0; i < o.metrics.size(); ++i)
    if (auto why = objective_metric_problem(r.task, o.metrics[i]); !why.empty())
      ctx.fail_at("objective.metrics[" + std::to_string(i) + "]", why);
  if (o.goals.empty()) o.goals.assign(o.metrics.size(), Goal::automatic);
  for (size_t i = 0; i < o.metrics.size(); ++i)
    if (o.goals[i] == Goal::automatic) o.goals[i] = automatic_goal(o.metrics[i]);
  if (o.metric.empty()) o.metric = o.metrics.empty() ? default_objective_metric(r.task) : o.metrics.front();
  if (auto why = objective_metric_problem(r.task, o.metric); !why.empty()) ctx.fail_at("objective.metric", why);
  auto it = std::find(o.metrics.begin(), o.metrics.end(), o.metric);
  if (!o.metrics.empty() && it == o.metrics.end())
    ctx.fail_at("objective.metric", "'" + o.metric + "' ranks the best trial of a Pareto search, so it must be one "
                                    "of objective.metrics");
  const Goal listed = it == o.metrics.end() ? Goal::automatic : o.goals[static_cast<size_t>(it - o.metrics.begin())];
  if (o.goal == Goal::automatic) o.goal = listed == Goal::automatic ? automatic_goal(o.metric) : listed;
  if (listed != Goal::automatic && o.goal != listed)
    ctx.fail_at("objective.goal", "says " + std::string(name_of(o.goal)) + " for '" + o.metric +
                                      "', objective.goals says " + std::string(name_of(listed)));
}

// Checks between fields, and defaults that depend on other fields.
void check_cross_fields(const config::Context& ctx, RunOptions& o) {
  if (o.space.kind == SpaceKind::categorical) {
    const auto& ds = o.space.categorical.decisions;
    if (ds.empty())
      ctx.fail_at("space.categorical.decisions",
                  "space.kind categorical needs at least one decision (name + choices)");
    std::set<std::string> names;
    for (size_t i = 0; i < ds.size(); ++i)
      if (!names.insert(ds[i].name).second)
        ctx.fail_at("space.categorical.decisions[" + std::to_string(i) + "].name",
                    "decision name '" + ds[i].name + "' is used twice");
  }
  if (o.space.kind == SpaceKind::cells) {
    const auto& c = o.space.cells;
    const std::string model(name_of(c.model));
    if (c.model != ModelKind::decoder_only && c.encoder.ops.empty())
      ctx.fail_at("space.encoder.ops", "space.model " + model + " needs at least one encoder op");
    if (c.model != ModelKind::encoder_only && c.decoder.ops.empty())
      ctx.fail_at("space.decoder.ops", "space.model " + model + " needs at least one decoder op");
  }
  if (o.task.kind == "table" && o.task.table.empty())
    ctx.fail_at("task.table", "task.kind table needs task.table (the CSV file of scores)");
  check_cost_constraints(ctx, o);
  check_user_files(ctx, o.task);
  if (o.task.baseline_seeds == 1)
    ctx.fail_at("task.baseline_seeds", "one seed gives no standard error: use 2 or more, or 0 for no comparison");
  if (o.search.evolution.tournament > o.search.evolution.population)
    ctx.fail_at("search.evolution.tournament",
                "must be <= search.evolution.population (" +
                    std::to_string(o.search.evolution.population) + "), got " +
                    std::to_string(o.search.evolution.tournament));
  resolve_objective(ctx, o);
}

bool is_key_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
}

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  for (char ch : s)
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  return true;
}

// Puts an override's value into the document tree, so that it is read (and checked)
// exactly like a value from the file; records where it came from for messages.
void apply_override(config::Context& ctx, YAML::Node& root, const ConfigOverride& ov) {
  const std::string text = ov.path + "=" + ov.value;
  auto fail = [&](const std::string& path, const std::string& msg) -> void {
    throw ConfigError(config::one_line("--set " + text + ": " + path + ": " + msg));
  };
  YAML::Node value;
  if (ov.value.empty()) {
    value = YAML::Node(std::string());   // `--set k=` means the empty string
  } else {
    try {
      value = YAML::Load(ov.value);
    } catch (const YAML::Exception& e) {
      fail(ov.path, "cannot parse the value as YAML: " + e.msg);
    }
  }
  std::vector<std::string> parts = split(ov.path, '.');
  YAML::Node cur;
  cur.reset(root);
  std::string norm;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& key = parts[i];
    bool last = i + 1 == parts.size();
    if (cur.IsSequence()) {
      if (!all_digits(key) || std::stoul(key) >= cur.size())
        fail(norm, "is a list of " + std::to_string(cur.size()) + "; '" + key +
                       "' is not an index into it");
      size_t idx = std::stoul(key);
      norm += "[" + key + "]";
      if (last) {
        cur[idx] = value;
        break;
      }
      YAML::Node next = cur[idx];
      cur.reset(next);
      continue;
    }
    if (!cur.IsMap()) fail(norm, "is a value, not a section; cannot set " + ov.path);
    norm = config::child_path(norm, key);
    if (last) {
      cur.remove(key);
      cur[key] = value;
      break;
    }
    // (const lookups: a non-const one would insert the key; reset() of a missing
    // node throws, so test it first)
    const YAML::Node& ccur = cur;
    YAML::Node probe = ccur[key];
    if (!probe.IsDefined() || probe.IsNull()) {
      cur.remove(key);
      cur[key] = YAML::Node(YAML::NodeType::Map);
    }
    YAML::Node next = ccur[key];
    cur.reset(next);
  }
  ctx.overrides.push_back({norm, text});
}

// The line (1-based) where a second YAML document starts, or 0. Found on the text
// because yaml-cpp 0.7's LoadAll loops forever on some malformed multi-document input
// (found by fuzz/config_fuzz.cpp), and Load silently ignores all but the first document.
// Document markers are only recognized at column 0, never inside a scalar.
int second_document_line(const std::string& text) {
  bool seen = false;    // a document has started (content or '---')
  bool ended = false;   // ... and was closed by '...'
  int line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    auto marker = [&](std::string_view m) {
      return line.substr(0, 3) == m &&
             (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    };
    if (marker("---")) {
      if (seen) return line_no;
      seen = true;
      continue;
    }
    if (marker("...")) {
      ended = seen;
      continue;
    }
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || (!seen && t[0] == '%')) continue;   // blank, comment, directive
    if (ended) return line_no;
    seen = true;
  }
  return 0;
}

RunOptions load(config::Context& ctx, const std::string& yaml,
                const std::vector<ConfigOverride>& overrides) {
  YAML::Node root;
  try {
    if (int line = second_document_line(yaml)) {
      YAML::Mark m;
      m.line = line - 1;
      ctx.fail("", m, "more than one YAML document (a second '---')");
    }
    root = YAML::Load(yaml);
    check_expanded_size(root, ctx.file);
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null() ? ctx.file
                                         : ctx.file + ":" + std::to_string(e.mark.line + 1) +
                                               ":" + std::to_string(e.mark.column + 1);
    // DeepRecursion (yaml-cpp's guard against stack overflow) says only "bad file".
    const auto* deep = dynamic_cast<const YAML::DeepRecursion*>(&e);
    std::string what = deep ? "nested more than " + std::to_string(deep->depth()) + " levels deep"
                            : e.msg;
    throw ConfigError(config::one_line(where + ": YAML syntax error: " + what));
  }
  RunOptions o;
  try {
    if (!root || root.IsNull())
      throw ConfigError(ctx.file + ": the config file is empty (no keys; expected space:, task:, search: ..., "
                        "as in configs/)");
    ctx.marks[""] = root.Mark();
    config::expect_map(ctx, root, "");
    for (const auto& ov : overrides) apply_override(ctx, root, ov);
    config::read_section(ctx, root, "", o);
    check_cross_fields(ctx, o);
  } catch (const YAML::Exception& e) {
    // Not expected (the reader checks node types first); kept so that no yaml-cpp
    // exception ever escapes as anything but a one-line ConfigError.
    throw ConfigError(config::one_line(ctx.file + ": cannot read the config: " + e.msg));
  }
  return o;
}

}  // namespace

ConfigOverride parse_override(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos)
    throw ConfigError(
        config::one_line("--set " + text + ": expected key.path=value, e.g. search.trials=50"));
  ConfigOverride ov{text.substr(0, eq), text.substr(eq + 1)};
  bool ok = !ov.path.empty();
  for (const std::string& part : split(ov.path, '.')) {
    ok = ok && !part.empty();
    for (char ch : part) ok = ok && is_key_char(ch);
  }
  if (!ok)
    throw ConfigError(config::one_line(
        "--set " + text + ": the key path must be names joined by '.', e.g. search.mcts.exploration"));
  return ov;
}

RunOptions load_config_text(const std::string& yaml, const std::string& filename,
                            const std::vector<ConfigOverride>& overrides) {
  config::Context ctx;
  ctx.file = filename;
  RunOptions o = load(ctx, yaml, overrides);
  o.config_path = filename;
  return o;
}

RunOptions load_config(const std::filesystem::path& file,
                       const std::vector<ConfigOverride>& overrides) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw ConfigError(file.string() + ": is a directory, expected a YAML config file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file.string() + ": cannot open the config file (does it exist?)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(file.string() + ": cannot read the config file");
  config::Context ctx;
  ctx.file = file.string();
  std::filesystem::path abs = std::filesystem::absolute(file, ec);
  if (ec) abs = file;
  ctx.base_dir = abs.lexically_normal().parent_path();
  RunOptions o = load(ctx, text.str(), overrides);
  o.config_path = abs.lexically_normal();
  return o;
}

std::string resolved_yaml(const RunOptions& options) {
  RunOptions o = options;
  YAML::Emitter out;
  out << YAML::BeginMap;
  config::Writer w(out);
  bind_fields(w, o);
  out << YAML::EndMap;
  MCTSNAS_CHECK(out.good(), "resolved_yaml: " + out.GetLastError());
  return "# mctsnas resolved config: every key, defaults filled in\n" + std::string(out.c_str()) +
         "\n";
}

}  // namespace mctsnas
