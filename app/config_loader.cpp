// The config schema: one `bind_fields` per options struct, one line per key.
//
// TO ADD A FIELD: add the member to its options struct (e.g. MctsOptions in
// search/search_options.h) and ONE line to that struct's bind_fields below:
//     v.field("yaml_key", o.member, CHECK);
// CHECK is optional and says what values are allowed (see app/yaml_fields.h):
//     min(1), above(0), range(0, 1), min(1).max(64), non_empty(), non_empty().no_repeats(),
//     one_of({"a", "b"}), bytes(), duration(), path(), dir_name(), devices(), count_or_auto().
// Supported member types: bool, int/int64_t, uint64_t, double, std::string,
// std::optional<T>, std::vector<T>, enums (pass an EnumNames<E>), and any struct with its
// own bind_fields (a nested section; `v.inline_section(s)` puts its keys in the enclosing
// section instead, as for space's cells keys). The same line then parses it (with all the strict
// checks and error messages), writes it into config.resolved.yaml, and is covered by the
// round-trip test in tests/config_test.cpp. Checks that span several fields go in
// check_cross_fields(). Keep key order = the order users read the resolved config in.
#include "app/config_loader.h"

#include <yaml-cpp/depthguard.h>

#include <fstream>
#include <set>
#include <sstream>

#include "app/yaml_fields.h"
#include "common/strings.h"

namespace mctsnas {

using config::above;
using config::min;
using config::non_empty;
using config::one_of;
using config::range;

template <class V> void bind_fields(V& v, CategoricalDecisionOptions& o) {
  v.field("name", o.name, non_empty());
  v.field("choices", o.choices, non_empty().no_repeats());
}
template <class V> void bind_fields(V& v, CategoricalSpaceOptions& o) {
  v.field("decisions", o.decisions);
  v.field("separator", o.separator);
}
template <class V> void bind_fields(V& v, CellOptions& o) {
  v.field("nodes", o.nodes, min(1).max(64));
  v.field("ops", o.ops, config::Check().no_repeats());   // names checked by make_space
  v.field("combine", o.combine, one_of({"sum", "concat"}));
}
template <class V> void bind_fields(V& v, MacroOptions& o) {
  v.field("d_model", o.d_model, min(1).max(1 << 20).non_empty().no_repeats());
  v.field("encoder_layers", o.encoder_layers, min(0).max(1024).non_empty().no_repeats());
  v.field("decoder_layers", o.decoder_layers, min(0).max(1024).non_empty().no_repeats());
}
template <class V> void bind_fields(V& v, CellSpaceOptions& o) {
  v.field("model", o.model, one_of({"encoder_decoder", "decoder_only", "encoder_only"}));
  v.field("encoder", o.encoder);
  v.field("decoder", o.decoder);
  v.field("macro", o.macro);
  v.field("require_cross_attention", o.require_cross_attention);
}
// The cells' keys sit directly under `space:` (space.encoder, space.macro, ... as in
// DESIGN.md and configs/); a categorical space's under `space.categorical:`.
template <class V> void bind_fields(V& v, SpaceOptions& o) {
  v.field("kind", o.kind, one_of({"nb201", "categorical", "cells"}));
  v.field("categorical", o.categorical);
  v.inline_section(o.cells);
}

template <class V> void bind_fields(V& v, TaskOptions& o) {
  v.field("kind", o.kind, one_of({"table", "lm", "g2p", "classify", "fault"}));
  v.field("table", o.table, config::path());
  v.field("key_column", o.key_column, non_empty());
  v.field("score_column", o.score_column, non_empty());
  v.field("data", o.data, config::path());
  v.field("max_len", o.max_len, min(1).max(1 << 20));
  v.field("baseline", o.baseline);
}
template <class V> void bind_fields(V& v, EarlyStoppingOptions& o) {
  v.field("kind", o.kind, one_of({"none", "median", "halving"}));
  v.field("min_reports", o.min_reports, min(1));
  v.field("halving_eta", o.halving_eta, above(1));
}
template <class V> void bind_fields(V& v, TrainOptions& o) {
  v.field("steps", o.steps, min(1));
  v.field("batch_size", o.batch_size, min(1));
  v.field("lr", o.lr, above(0));
  v.field("weight_decay", o.weight_decay, min(0));
  v.field("warmup_fraction", o.warmup_fraction, range(0, 1));
  v.field("grad_clip", o.grad_clip, min(0));   // 0 = no clipping
  v.field("precision", o.precision, one_of({"auto", "fp32", "bf16"}));
  v.field("eval_every", o.eval_every, min(1));
  v.field("eval_batches", o.eval_batches, min(1));
  v.field("early_stopping", o.early_stopping);
}

template <class V> void bind_fields(V& v, MctsOptions& o) {
  v.field("tree", o.tree, one_of({"edit", "prefix"}));
  v.field("selection", o.selection, one_of({"puct", "uct"}));
  v.field("exploration", o.exploration, min(0));
  v.field("virtual_loss", o.virtual_loss, min(0));
  v.field("backup", o.backup, one_of({"max", "mean"}));
  v.field("normalization", o.normalization, one_of({"minmax", "rank"}));
  v.field("surrogate", o.surrogate, one_of({"ridge", "none"}));
  v.field("max_depth", o.max_depth, min(1).max(255));
  v.field("initial_random", o.initial_random, min(0));
  v.field("first_play", o.first_play, range(-10, 10));
  v.field("prior_decay", o.prior_decay, range(0.01, 1));
  v.field("ucb_beta", o.ucb_beta, min(0));
}
template <class V> void bind_fields(V& v, EvolutionOptions& o) {
  v.field("population", o.population, min(2));
  v.field("tournament", o.tournament, min(1));
  v.field("mutation", o.mutation, one_of({"decision", "neighbour"}));
  v.field("sampling", o.sampling, one_of({"without_replacement", "with_replacement"}));
}
template <class V> void bind_fields(V& v, LocalSearchOptions& o) {
  v.field("initial_samples", o.initial_samples, min(1));
  v.field("variant", o.variant, one_of({"first", "best"}));
}
template <class V> void bind_fields(V& v, SearchOptions& o) {
  v.field("algorithm", o.algorithm, one_of({"mcts", "random", "evolution", "local"}));
  v.field("trials", o.trials, min(1));
  v.field("parallel", o.parallel, min(1).max(4096));
  v.field("deterministic", o.deterministic);
  v.field("transposition", o.transposition,
          config::EnumNames<TranspositionKey>{{{"exact", TranspositionKey::exact},
                                               {"canonical", TranspositionKey::canonical}}});
  v.field("mcts", o.mcts);
  v.field("evolution", o.evolution);
  v.field("local", o.local);
}

template <class V> void bind_fields(V& v, ConstraintOptions& o) {
  v.field("max_params", o.max_params, above(0));
  v.field("max_latency_ms", o.max_latency_ms, above(0));
}
template <class V> void bind_fields(V& v, ObjectiveOptions& o) {
  v.field("metric", o.metric);   // "" = the task's default (filled in below for tables)
  v.field("goal", o.goal, one_of({"auto", "maximize", "minimize"}));
  v.field("constraints", o.constraints);
}

template <class V> void bind_fields(V& v, PerTrialOptions& o) {
  v.field("cpu_threads", o.cpu_threads, min(1).max(4096));
  v.field("gpu_memory", o.gpu_memory, config::bytes());    // 0 = no cap
  v.field("host_memory", o.host_memory, config::bytes());  // 0 = no cap
  v.field("wall_time", o.wall_time, config::duration());   // 0 = no limit
}
template <class V> void bind_fields(V& v, ResourceOptions& o) {
  v.field("devices", o.devices, config::devices());
  v.field("trials_per_gpu", o.trials_per_gpu, config::count_or_auto());
  v.field("isolation", o.isolation, one_of({"auto", "process", "inline"}));
  v.field("mps", o.mps, one_of({"auto", "on", "off"}));
  v.field("per_trial", o.per_trial);
}

template <class V> void bind_fields(V& v, OutputOptions& o) {
  v.field("root", o.root, non_empty());   // relative to the working directory
}

// RunOptions::config_path is not a key: it records where the file came from.
template <class V> void bind_fields(V& v, RunOptions& o) {
  v.field("name", o.name, config::dir_name());
  v.field("seed", o.seed);
  v.field("space", o.space);
  v.field("task", o.task);
  v.field("train", o.train);
  v.field("search", o.search);
  v.field("objective", o.objective);
  v.field("resources", o.resources);
  v.field("output", o.output);
}

namespace {

// Checks between fields, and defaults that depend on other fields.
void check_cross_fields(const config::Context& ctx, RunOptions& o) {
  if (o.space.kind == "categorical") {
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
  if (o.space.kind == "cells") {
    const auto& c = o.space.cells;
    if (c.model != "decoder_only" && c.encoder.ops.empty())
      ctx.fail_at("space.encoder.ops", "space.model " + c.model +
                                                 " needs at least one encoder op");
    if (c.model != "encoder_only" && c.decoder.ops.empty())
      ctx.fail_at("space.decoder.ops", "space.model " + c.model +
                                                 " needs at least one decoder op");
  }
  if (o.task.kind == "table" && o.task.table.empty())
    ctx.fail_at("task.table", "task.kind table needs task.table (the CSV file of scores)");
  if (o.search.evolution.tournament > o.search.evolution.population)
    ctx.fail_at("search.evolution.tournament",
                "must be <= search.evolution.population (" +
                    std::to_string(o.search.evolution.population) + "), got " +
                    std::to_string(o.search.evolution.tournament));
  // Defaults that depend on other sections: the task's own metric, and whether
  // lower is better for it (error rates, bits per character, sizes, latencies).
  if (o.objective.metric.empty()) {
    if (o.task.kind == "table") o.objective.metric = o.task.score_column;
    if (o.task.kind == "lm") o.objective.metric = "val_bpc";
    if (o.task.kind == "g2p") o.objective.metric = "val_per";
    if (o.task.kind == "classify") o.objective.metric = "val_accuracy";
  }
  if (o.objective.goal == "auto") {
    static const char* lower_is_better[] = {"per", "bpc", "loss", "error", "latency", "params", "flops", "wer"};
    bool minimize = false;
    for (const char* w : lower_is_better) minimize |= o.objective.metric.find(w) != std::string::npos;
    o.objective.goal = minimize ? "minimize" : "maximize";
  }
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
