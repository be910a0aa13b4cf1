// Config loading: strict errors (exact text: file:line:col, key path), good configs,
// --set overrides, and the resolved-config round trip.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/config_loader.h"
#include "app/yaml_fields.h"
#include "test_util.h"

using namespace mctsnas;

namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  std::vector<ConfigOverride> ovs;
  for (const auto& s : sets) ovs.push_back(parse_override(s));
  try {
    load_config_text(yaml, "bad.yaml", ovs);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

RunOptions load(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  std::vector<ConfigOverride> ovs;
  for (const auto& s : sets) ovs.push_back(parse_override(s));
  return load_config_text(yaml, "good.yaml", ovs);
}

const char* kTable = "task: {table: nb201.csv}\n";


}  // namespace

TEST_CASE("config: unknown keys name the key and suggest the closest", "[config]") {
  CHECK(error_of("search:\n  trails: 50\n") ==
        "bad.yaml:2:3: search.trails: unknown key 'trails'; did you mean 'trials'?");
  CHECK(error_of("name: x\nfoo: 1\n") ==
        "bad.yaml:2:1: foo: unknown key 'foo' (expected one of: name, seed, space, task, train, "
        "search, objective, resources, output)");
  CHECK(error_of("space:\n  macro: {d_model: [64], encodr_layers: [1]}\n") ==
        "bad.yaml:2:26: space.macro.encodr_layers: unknown key 'encodr_layers'; did you "
        "mean 'encoder_layers'?");
}

TEST_CASE("config: wrong types", "[config]") {
  CHECK(error_of("search: {trials: many}\n") ==
        "bad.yaml:1:18: search.trials: expected an integer, got 'many'");
  CHECK(error_of("train: 5\n") ==
        "bad.yaml:1:8: train: expected a section (a mapping of keys), got the value '5'");
  CHECK(error_of("space:\n  macro:\n    d_model: 64\n") ==
        "bad.yaml:3:14: space.macro.d_model: expected a list, e.g. [a, b]");
  CHECK(error_of("search:\n  deterministic: yes\n") ==
        "bad.yaml:2:18: search.deterministic: expected true or false, got 'yes'");
  CHECK(error_of("train:\n  lr: [1]\n") == "bad.yaml:2:7: train.lr: expected a number, got a list");
  CHECK(error_of("task:\n  table:\n") ==
        "bad.yaml:2:3: task.table: expected a string, got nothing (null)");
  CHECK(error_of("- a\n- b\n") ==
        "bad.yaml:1:1: (top level): expected a section (a mapping of keys), got a list");
}

TEST_CASE("config: out-of-range values", "[config]") {
  CHECK(error_of("train:\n  lr: 0\n") == "bad.yaml:2:7: train.lr: must be > 0, got 0");
  CHECK(error_of("train:\n  warmup_fraction: 1.5\n") ==
        "bad.yaml:2:20: train.warmup_fraction: must be between 0 and 1, got 1.5");
  CHECK(error_of("search:\n  parallel: 0\n") ==
        "bad.yaml:2:13: search.parallel: must be between 1 and 4096, got 0");
  CHECK(error_of("task:\n  max_len: 99999999999\n") ==
        "bad.yaml:2:12: task.max_len: must be <= 2147483647, got 99999999999");
  CHECK(error_of("seed: -1\n") == "bad.yaml:1:7: seed: expected a non-negative integer, got '-1'");
  CHECK(error_of("seed: 1.5\n") == "bad.yaml:1:7: seed: expected a non-negative integer, got '1.5'");
}

TEST_CASE("config: bad enum values list the allowed ones", "[config]") {
  CHECK(error_of("search:\n  algorithm: mtcs\n") ==
        "bad.yaml:2:14: search.algorithm: unknown value 'mtcs' (expected one of: mcts, random, "
        "evolution, local); did you mean 'mcts'?");
  CHECK(error_of("objective: {goal: up}\n") ==
        "bad.yaml:1:19: objective.goal: unknown value 'up' (expected one of: auto, maximize, minimize)");
  CHECK(error_of("search: {transposition: canon}\n") ==
        "bad.yaml:1:25: search.transposition: unknown value 'canon' (expected one of: exact, "
        "canonical)");
}

// The loader is the one place these are checked: Mcts, EvolutionSearch and
// LocalSearch trust the options they are given.
TEST_CASE("config: searcher options are checked by the loader", "[config]") {
  auto err = [](const std::string& search) { return error_of(std::string(kTable) + "search: " + search + "\n"); };
  CHECK(err("{mcts: {tree: forest}}") ==
        "bad.yaml:2:23: search.mcts.tree: unknown value 'forest' (expected one of: edit, prefix)");
  CHECK(err("{mcts: {prior_decay: 0}}") ==
        "bad.yaml:2:30: search.mcts.prior_decay: must be between 0.01 and 1, got 0");
  CHECK(err("{mcts: {first_play: 11}}") ==
        "bad.yaml:2:29: search.mcts.first_play: must be between -10 and 10, got 11");
  CHECK(err("{mcts: {max_depth: 0}}") ==
        "bad.yaml:2:28: search.mcts.max_depth: must be between 1 and 255, got 0");
  CHECK(err("{evolution: {population: 1}}") ==
        "bad.yaml:2:34: search.evolution.population: must be >= 2, got 1");
  CHECK(err("{evolution: {mutation: node}}") ==
        "bad.yaml:2:32: search.evolution.mutation: unknown value 'node' (expected one of: decision, "
        "neighbour)");
  CHECK(err("{evolution: {sampling: replace}}") ==
        "bad.yaml:2:32: search.evolution.sampling: unknown value 'replace' (expected one of: "
        "without_replacement, with_replacement)");
  CHECK(err("{local: {variant: worst}}") ==
        "bad.yaml:2:27: search.local.variant: unknown value 'worst' (expected one of: first, best); "
        "did you mean 'first'?");
  CHECK(err("{local: {initial_samples: 0}}") ==
        "bad.yaml:2:35: search.local.initial_samples: must be >= 1, got 0");
  CHECK(error_of(std::string(kTable) + "space: {kind: cells, encoder: {nodes: 13}}\n") ==
        "bad.yaml:2:39: space.encoder.nodes: must be between 1 and 12, got 13");
}

TEST_CASE("config: special values (bytes, durations, names, devices)", "[config]") {
  CHECK(error_of("resources:\n  per_trial: {gpu_memory: 8 gigs}\n") ==
        "bad.yaml:2:27: resources.per_trial.gpu_memory: expected a byte size like 8GiB, 512MiB "
        "or 4e9, got '8 gigs'");
  CHECK(error_of("resources:\n  per_trial: {wall_time: 10 minutes}\n") ==
        "bad.yaml:2:26: resources.per_trial.wall_time: expected a duration like 10m, 90s, 1h or "
        "30 (seconds), got '10 minutes'");
  CHECK(error_of("resources: {trials_per_gpu: 0}\n") ==
        "bad.yaml:1:29: resources.trials_per_gpu: expected auto or an integer from 1 to 1024, "
        "got '0'");
  CHECK(error_of("resources: {mps: yes}\n") ==
        "bad.yaml:1:18: resources.mps: unknown value 'yes' (expected one of: auto, on, off)");
  CHECK(error_of("resources: {mps: offf}\n") ==
        "bad.yaml:1:18: resources.mps: unknown value 'offf' (expected one of: auto, on, off); did you mean 'off'?");
  CHECK(error_of("resources: {msp: on}\n") ==
        "bad.yaml:1:13: resources.msp: unknown key 'msp'; did you mean 'mps'?");
  CHECK(error_of("resources: {devices: gpu}\n") ==
        "bad.yaml:1:22: resources.devices: expected auto, cpu, cuda or cuda:I,J,... (GPU "
        "indices), got 'gpu'");
  CHECK(error_of("name: ../evil\n") ==
        "bad.yaml:1:7: name: must be a directory name of letters, digits, '.', '_' or '-' (at "
        "most 128), got '../evil'");
}

TEST_CASE("config: structural errors (syntax, duplicates, documents, repeats)", "[config]") {
  CHECK(error_of("search: [1, 2\n") ==
        "bad.yaml:2:1: YAML syntax error: end of sequence flow not found");
  CHECK(error_of("seed: 1\nseed: 2\n") == "bad.yaml:2:1: seed: key given twice");
  CHECK(error_of("seed: 1\n---\nseed: 2\n") ==
        "bad.yaml:2:1: (top level): more than one YAML document (a second '---')");
  CHECK(error_of("# c\n---\nseed: 1\n...\nseed: 2\n") ==
        "bad.yaml:5:1: (top level): more than one YAML document (a second '---')");
  CHECK(error_of(std::string(3000, '[')) ==
        "bad.yaml:1:1: YAML syntax error: nested more than 500 levels deep");
  // A leading '---' and a closing '...' are one document.
  CHECK(error_of("%YAML 1.2\n---\nseed: 1\ntask: {table: t}\n...\n# end\n") == "(no error)");
  // Found by the fuzzer: yaml-cpp's LoadAll looped forever on this (unclosed flow map,
  // then a second document). It must fail fast with a message.
  CHECK(error_of("task: {kind: table, scsearch:\n  mcts: {tree: prefix, max_tpe;hd 3}\n---\nseed: 0\n") ==
        "bad.yaml:3:1: (top level): more than one YAML document (a second '---')");
  CHECK(error_of("space:\n  categorical:\n    decisions:\n      - {name: a, choices: [x, x]}\n") ==
        "bad.yaml:4:32: space.categorical.decisions[0].choices[1]: repeated entry 'x'");
  CHECK(error_of("train:\n  steps: 10\n  \"\\x01\": 3\n") ==
        "bad.yaml:3:3: train.\\x01: unknown key '\\x01'; did you mean 'lr'?");
  CHECK(error_of("train:\n  \"a\\nb\": 3\n") ==
        "bad.yaml:2:3: train.a\\x0ab: unknown key 'a\\x0ab' (expected one of: steps, batch_size, "
        "lr, weight_decay, warmup_fraction, grad_clip, precision, eval_every, eval_batches, "
        "early_stopping)");
}

TEST_CASE("config: cross-field checks", "[config]") {
  CHECK(error_of("name: x\n") ==
        "bad.yaml:1:1: task.table: task.kind table needs task.table (the CSV file of scores)");
  CHECK(error_of(std::string(kTable) + "space:\n  kind: categorical\n") ==
        "bad.yaml:3:3: space.categorical.decisions: space.kind categorical needs at least one "
        "decision (name + choices)");
  CHECK(error_of(std::string(kTable) + "search:\n  evolution: {population: 4, tournament: 5}\n") ==
        "bad.yaml:3:42: search.evolution.tournament: must be <= search.evolution.population (4), "
        "got 5");
  CHECK(error_of(std::string(kTable) +
                 "space:\n  kind: categorical\n  categorical:\n    decisions:\n"
                 "      - {name: a, choices: [x]}\n      - {name: a, choices: [y]}\n") ==
        "bad.yaml:7:16: space.categorical.decisions[1].name: decision name 'a' is used twice");
  CHECK(error_of(std::string(kTable) + "space: {kind: cells}\n") ==
        "bad.yaml:2:8: space.encoder.ops: space.model encoder_decoder needs at least "
        "one encoder op");
}

TEST_CASE("config: missing file and directories", "[config]") {
  std::string msg;
  try {
    load_config("/nonexistent/dir/run.yaml");
  } catch (const ConfigError& e) {
    msg = e.what();
  }
  CHECK(msg == "/nonexistent/dir/run.yaml: cannot open the config file (does it exist?)");
  test::TempDir dir("config");
  try {
    load_config(dir.path());
    msg = "(no error)";
  } catch (const ConfigError& e) {
    msg = e.what();
  }
  CHECK(msg == dir.path().string() + ": is a directory, expected a YAML config file");
}

TEST_CASE("config: a good config with every section", "[config]") {
  RunOptions o = load(R"(
name: g2p-small_2
seed: 18446744073709551615
space:
  kind: cells
  model: encoder_decoder
  encoder: {nodes: 4, ops: [conv3, conv5, identity, zero], combine: concat}
  decoder: {nodes: 3, ops: [causal_conv3, cross_attention]}
  macro: {d_model: [64, 128], encoder_layers: [1, 2], decoder_layers: [2]}
  require_cross_attention: false
task: {kind: g2p, data: /data/g2p, max_len: 48, baseline: false}
train:
  steps: 2000
  batch_size: 32
  lr: 3.0e-4
  precision: bf16
  early_stopping: {kind: halving, halving_eta: 2}
search:
  algorithm: evolution
  trials: 500
  parallel: 4
  deterministic: false
  transposition: canonical
  mcts: {exploration: 1.4, virtual_loss: 0, tree: prefix, selection: uct}
  evolution: {population: 20, tournament: 20, mutation: neighbour, sampling: with_replacement}
objective: {metric: val_per, goal: minimize, constraints: {max_params: 5.0e6}}
resources:
  devices: cuda:0,1
  trials_per_gpu: 3
  isolation: process
  mps: off
  per_trial: {cpu_threads: 2, gpu_memory: 8GiB, host_memory: 4e9, wall_time: 1h30m}
output: {root: /tmp/runs}
)");
  CHECK(o.name == "g2p-small_2");
  CHECK(o.seed == 18446744073709551615ull);
  CHECK(o.space.kind == SpaceKind::cells);
  CHECK(o.space.cells.encoder.ops == std::vector<std::string>{"conv3", "conv5", "identity", "zero"});
  CHECK(o.space.cells.encoder.combine == CellCombine::concat);
  CHECK(o.space.cells.decoder.nodes == 3);
  CHECK(o.space.cells.macro.d_model == std::vector<int>{64, 128});
  CHECK(o.space.cells.require_cross_attention == false);
  CHECK(o.task.kind == "g2p");
  CHECK(o.task.max_len == 48);
  CHECK(o.train.lr == 3.0e-4);
  CHECK(o.train.weight_decay == 0.01);   // default kept
  CHECK(o.train.early_stopping.kind == EarlyStopping::halving);
  CHECK(o.train.early_stopping.halving_eta == 2.0);
  CHECK(o.search.algorithm == "evolution");
  CHECK(o.search.trials == 500);
  CHECK(o.search.transposition == TranspositionKey::canonical);
  CHECK(o.search.mcts.virtual_loss == 0.0);
  CHECK(o.search.mcts.tree == TreeShape::prefix);
  CHECK(o.search.evolution.tournament == 20);
  CHECK(o.search.evolution.mutation == Mutation::neighbour);
  CHECK(o.search.evolution.sampling == TournamentSampling::with_replacement);
  CHECK(o.objective.goal == Goal::minimize);
  CHECK(o.objective.constraints.max_params == 5.0e6);
  CHECK_FALSE(o.objective.constraints.max_latency_ms.has_value());
  CHECK(o.resources.devices == "cuda:0,1");
  CHECK(o.resources.trials_per_gpu == "3");
  CHECK(o.resources.mps == MpsMode::off);
  CHECK(o.resources.per_trial.gpu_memory == 8LL << 30);
  CHECK(o.resources.per_trial.host_memory == 4000000000LL);
  CHECK(o.resources.per_trial.wall_time == 5400.0);
  CHECK(o.output.root == "/tmp/runs");
  CHECK(o.config_path == "good.yaml");
}

TEST_CASE("config: defaults, and objective.metric from the table's score column", "[config]") {
  RunOptions o = load("task: {table: t.csv, score_column: valid_acc}\n");
  RunOptions d;
  CHECK(o.name == d.name);
  CHECK(o.space.kind == SpaceKind::nb201);
  CHECK(o.search.trials == d.search.trials);
  CHECK(o.task.table == "t.csv");   // from text: left as written
  CHECK(o.objective.metric == "valid_acc");
  CHECK(o.objective.goal == Goal::maximize);
  CHECK(o.resources.trials_per_gpu == "auto");
  CHECK(o.resources.mps == MpsMode::automatic);
  CHECK(load(std::string(kTable) + "resources: {mps: on}\n").resources.mps == MpsMode::on);
  // An explicit metric is kept when the table reports it (others: validate_test).
  CHECK(load("task: {table: t.csv, score_column: acc}\nobjective: {metric: acc}\n").objective.metric == "acc");
}

TEST_CASE("config: byte sizes and durations", "[config]") {
  using namespace mctsnas::config;
  CHECK(parse_bytes("8GiB") == (8LL << 30));
  CHECK(parse_bytes("512MiB") == (512LL << 20));
  CHECK(parse_bytes("4e9") == 4000000000LL);
  CHECK(parse_bytes("1.5 KiB") == 1536);
  CHECK(parse_bytes("2GB") == 2000000000LL);
  CHECK(parse_bytes("0") == 0);
  CHECK_FALSE(parse_bytes("-1GiB"));
  CHECK_FALSE(parse_bytes("8gib"));
  CHECK_FALSE(parse_bytes("GiB"));
  CHECK_FALSE(parse_bytes("1e30"));
  CHECK(parse_duration("10m") == 600.0);
  CHECK(parse_duration("90s") == 90.0);
  CHECK(parse_duration("1h") == 3600.0);
  CHECK(parse_duration("30") == 30.0);
  CHECK(parse_duration("1h30m") == 5400.0);
  CHECK(parse_duration("250ms") == 0.25);
  CHECK_FALSE(parse_duration("-5"));
  CHECK_FALSE(parse_duration("5 parsecs"));
  CHECK_FALSE(parse_duration("h"));
  CHECK(format_bytes(8LL << 30) == "8GiB");
  CHECK(format_bytes(4000000000LL) == "4GB");
  CHECK(format_bytes(3LL << 10) == "3KiB");
  CHECK(format_bytes(1000) == "1000");
  CHECK(format_duration_value(5400) == "90m");
  CHECK(format_duration_value(0.25) == "0.25");
}

TEST_CASE("config: --set overrides", "[config]") {
  SECTION("applied, creating missing sections") {
    RunOptions o = load(kTable, {"search.trials=50", "search.mcts.exploration=0.5",
                                 "space.macro.d_model=[32, 64]", "name=other"});
    CHECK(o.search.trials == 50);
    CHECK(o.search.mcts.exploration == 0.5);
    CHECK(o.space.cells.macro.d_model == std::vector<int>{32, 64});
    CHECK(o.name == "other");
  }
  SECTION("the later one wins; an empty value is the empty string") {
    RunOptions o = load(std::string(kTable) + "objective: {metric: acc}\n",
                        {"seed=1", "seed=2", "objective.metric="});
    CHECK(o.seed == 2);
    CHECK(o.objective.metric == "test_accuracy");   // "" -> the table's default
  }
  SECTION("into a list element") {
    RunOptions o = load(std::string(kTable) +
                            "space:\n  kind: categorical\n  categorical:\n    decisions:\n"
                            "      - {name: a, choices: [x]}\n",
                        {"space.categorical.decisions.0.choices=[p, q]"});
    CHECK(o.space.categorical.decisions.at(0).choices == std::vector<std::string>{"p", "q"});
  }
  SECTION("same checks, errors name the override") {
    CHECK(error_of(kTable, {"search.trails=5"}) ==
          "--set search.trails=5: search.trails: unknown key 'trails'; did you mean 'trials'?");
    CHECK(error_of(kTable, {"train.lr=-1"}) == "--set train.lr=-1: train.lr: must be > 0, got -1");
    CHECK(error_of(kTable, {"search.algorithm=grid"}) ==
          "--set search.algorithm=grid: search.algorithm: unknown value 'grid' (expected one "
          "of: mcts, random, evolution, local)");
    CHECK(error_of("seed: 7\n", {"seed.x=1"}) ==
          "--set seed.x=1: seed: is a value, not a section; cannot set seed.x");
    CHECK(error_of(kTable, {"search.evolution.mutation=node"}) ==
          "--set search.evolution.mutation=node: search.evolution.mutation: unknown value 'node' "
          "(expected one of: decision, neighbour)");
    CHECK(error_of(kTable, {"search.evolution.sampling=replace"}) ==
          "--set search.evolution.sampling=replace: search.evolution.sampling: unknown value "
          "'replace' (expected one of: without_replacement, with_replacement)");
    CHECK(error_of(kTable, {"search.evolution.tournament=20"}) ==
          "--set search.evolution.tournament=20: search.evolution.tournament: must be <= "
          "search.evolution.population (10), got 20");
    CHECK(error_of(kTable, {"train.lr=[1"}) ==
          "--set train.lr=[1: train.lr: cannot parse the value as YAML: end of sequence flow "
          "not found");
    // An error elsewhere in the file still names the file.
    CHECK(error_of("seed: x\n", {"search.trials=5"}) ==
          "bad.yaml:1:7: seed: expected a non-negative integer, got 'x'");
  }
  SECTION("malformed --set text") {
    auto msg = [](const std::string& text) {
      try {
        parse_override(text);
      } catch (const ConfigError& e) {
        return std::string(e.what());
      }
      return std::string("(no error)");
    };
    CHECK(msg("search.trials") == "--set search.trials: expected key.path=value, e.g. search.trials=50");
    CHECK(msg("search..trials=1") == "--set search..trials=1: the key path must be names joined "
                                     "by '.', e.g. search.mcts.exploration");
    CHECK(msg("=1") == "--set =1: the key path must be names joined by '.', e.g. "
                       "search.mcts.exploration");
    ConfigOverride ov = parse_override("a.b=c=d");
    CHECK(ov.path == "a.b");
    CHECK(ov.value == "c=d");
  }
}

TEST_CASE("config: relative paths resolve against the config file's directory", "[config]") {
  test::TempDir dir("config");
  std::filesystem::create_directories(dir.path() / "sub");
  auto file = dir.write("sub/run.yaml", "task: {table: ../tables/nb201.csv, data: texts}\n");
  RunOptions o = load_config(file);
  CHECK(o.task.table == (dir.path() / "tables/nb201.csv").string());
  CHECK(o.task.data == (dir.path() / "sub/texts").string());
  CHECK(o.config_path == file);
  // From --set: relative to the working directory.
  RunOptions s = load_config(file, {parse_override("task.table=x.csv")});
  CHECK(s.task.table == (std::filesystem::current_path() / "x.csv").string());
  // Absolute paths are kept.
  CHECK(load_config(file, {parse_override("task.table=/abs/t.csv")}).task.table == "/abs/t.csv");
}

TEST_CASE("config: resolved_yaml round-trips", "[config]") {
  auto round_trip = [](const RunOptions& o) {
    std::string y = resolved_yaml(o);
    RunOptions back = load_config_text(y, "resolved.yaml");
    INFO(y);
    CHECK(resolved_yaml(back) == y);
    return back;
  };
  SECTION("defaults") {
    RunOptions back = round_trip(load("task: {table: /t.csv}\n"));
    CHECK(back.task.table == "/t.csv");
    CHECK(back.objective.metric == "test_accuracy");
  }
  SECTION("every section changed, awkward strings and numbers") {
    RunOptions o;
    o.objective.goal = Goal::minimize;  // "auto" is resolved on load, so it does not round-trip
    o.name = "n.1";
    o.seed = 18446744073709551615ull;
    o.space.kind = SpaceKind::categorical;
    o.space.categorical.decisions = {{"depth", {"1", "2"}}, {"op", {"null", "true", " x", "a: b"}}};
    o.space.categorical.separator = " ~ ";   // spaces at both ends (an empty one is refused)
    o.task.table = "dir with space/t.csv";
    o.task.score_column = "~";
    o.objective.metric = "~";   // as loaded: a table task's metric is its score column
    o.train.lr = 0.1 + 0.2;   // not short in decimal
    o.train.weight_decay = 1e-300;
    o.search.transposition = TranspositionKey::canonical;
    o.search.mcts.exploration = 1.0 / 3.0;
    o.objective.constraints.max_latency_ms = 2.5;
    o.resources.trials_per_gpu = "4";
    o.resources.mps = MpsMode::on;
    o.resources.per_trial.gpu_memory = (8LL << 30) + 1;
    o.resources.per_trial.host_memory = 512LL << 20;
    o.resources.per_trial.wall_time = 0.1;
    o.output.root = "out";
    RunOptions back = round_trip(o);
    CHECK(back.space.categorical.decisions.at(1).choices == o.space.categorical.decisions[1].choices);
    CHECK(back.space.categorical.separator == " ~ ");
    CHECK(back.task.table == o.task.table);
    CHECK(back.task.score_column == "~");
    CHECK(back.train.lr == o.train.lr);
    CHECK(back.train.weight_decay == 1e-300);
    CHECK(back.search.mcts.exploration == o.search.mcts.exploration);
    CHECK(back.objective.constraints.max_latency_ms == 2.5);
    CHECK(back.resources.per_trial.gpu_memory == (8LL << 30) + 1);
    CHECK(back.resources.per_trial.wall_time == 0.1);
    CHECK(back.resources.mps == MpsMode::on);
    CHECK(back.seed == o.seed);
  }
}

TEST_CASE("config: every file in configs/ loads and round-trips", "[config]") {
  std::filesystem::path dir = std::filesystem::path(MCTSNAS_SOURCE_DIR) / "configs";
  int n = 0;
  if (std::filesystem::is_directory(dir)) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() != ".yaml") continue;
      INFO(e.path());
      RunOptions o = load_config(e.path());
      std::string y = resolved_yaml(o);
      CHECK(resolved_yaml(load_config_text(y, "resolved.yaml")) == y);
      ++n;
    }
  }
  if (n == 0) WARN("no configs/*.yaml yet");
}

TEST_CASE("objective defaults follow the task: metric and goal", "[config]") {
  auto g2p = load_config_text("task: {kind: g2p}\n", "c.yaml");
  CHECK(g2p.objective.metric == "val_per");
  CHECK(g2p.objective.goal == Goal::minimize);
  auto lm = load_config_text("task: {kind: lm}\n", "c.yaml");
  CHECK(lm.objective.metric == "val_bpc");
  CHECK(lm.objective.goal == Goal::minimize);
  auto cls = load_config_text("task: {kind: classify}\n", "c.yaml");
  CHECK(cls.objective.metric == "val_accuracy");
  CHECK(cls.objective.goal == Goal::maximize);
  auto lat = load_config_text("task: {kind: g2p}\nobjective: {metric: latency_ms_b1}\n", "c.yaml");
  CHECK(lat.objective.goal == Goal::minimize);
  auto forced = load_config_text("task: {kind: g2p}\nobjective: {metric: val_per, goal: maximize}\n", "c.yaml");
  CHECK(forced.objective.goal == Goal::maximize);
}

TEST_CASE("objective.metrics: a Pareto search's metrics and goals, resolved and checked", "[config]") {
  auto two = load_config_text("task: {kind: g2p}\nobjective: {metrics: [val_per, latency_ms_b1]}\n", "c.yaml");
  CHECK(two.objective.metrics == std::vector<std::string>{"val_per", "latency_ms_b1"});
  CHECK(two.objective.goals == std::vector<Goal>{Goal::minimize, Goal::minimize});
  CHECK(two.objective.metric == "val_per");   // ranks the single best trial
  CHECK(two.objective.goal == Goal::minimize);
  auto back = load_config_text(resolved_yaml(two), "resolved.yaml");
  CHECK(back.objective.goals == two.objective.goals);
  CHECK(resolved_yaml(back) == resolved_yaml(two));

  auto table = load_config_text("task: {table: t.csv, cost_columns: {params: conv_weights}}\n"
                                "objective: {metrics: [params, test_accuracy], goals: [minimize, maximize],"
                                " metric: test_accuracy}\n", "c.yaml");
  CHECK(table.objective.goal == Goal::maximize);
  CHECK(table.objective.goals == std::vector<Goal>{Goal::minimize, Goal::maximize});

  const std::string g2p = "task: {kind: g2p}\n";
  CHECK(error_of(g2p + "objective: {metrics: [val_per]}\n") ==
        "bad.yaml:2:22: objective.metrics: a Pareto search needs two or more metrics; for one, set objective.metric");
  CHECK(error_of(g2p + "objective: {metrics: [val_per, val_per]}\n") ==
        "bad.yaml:2:32: objective.metrics[1]: repeated entry 'val_per'");
  CHECK(error_of(g2p + "objective: {metrics: [val_per, params], goals: [minimize]}\n") ==
        "bad.yaml:2:48: objective.goals: needs one goal per objective.metrics entry (2), got 1");
  CHECK(error_of(g2p + "objective: {metrics: [val_per, params], goals: [minimize, smaller]}\n") ==
        "bad.yaml:2:59: objective.goals[1]: unknown value 'smaller' (expected one of: auto, maximize, minimize)");
  CHECK_THAT(error_of(g2p + "objective: {metrics: [val_per, size]}\n"),
             Catch::StartsWith("bad.yaml:2:32: objective.metrics[1]: 'size' is not a metric of task.kind g2p"));
  CHECK(error_of(g2p + "objective: {metrics: [val_per, params], metric: val_word_acc}\n") ==
        "bad.yaml:2:49: objective.metric: 'val_word_acc' ranks the best trial of a Pareto search, so it must be "
        "one of objective.metrics");
  CHECK(error_of(g2p + "objective: {metrics: [val_per, params], goal: maximize}\n") ==
        "bad.yaml:2:47: objective.goal: says maximize for 'val_per', objective.goals says minimize");
  // A table reports params only when task.cost_columns names the column.
  CHECK_THAT(error_of("task: {table: t.csv}\nobjective: {metrics: [test_accuracy, params]}\n"),
             Catch::Contains("objective.metrics[1]: 'params' is not what this task reports"));
}

TEST_CASE("config: task.tokenizer and task.sentencepiece", "[config][sentencepiece]") {
  const std::string lm = "task: {kind: lm, train: text.txt, tokenizer: sentencepiece,"
                         " sentencepiece: {model_type: bpe, vocab_size: 2000}}\n";
  const auto o = load(lm);
  CHECK(o.task.tokenizer == "sentencepiece");
  CHECK(o.task.sentencepiece.model_type == "bpe");
  CHECK(o.task.sentencepiece.vocab_size == 2000);
  CHECK(o.task.tokenizer_cache.empty());   // set for a run's config only (app/run_config.h)
  CHECK(load("task: {kind: lm}\n").task.tokenizer == "char");
  CHECK_THAT(error_of("task: {kind: lm, tokenizer: sentencepiece}\n"),
             Catch::Contains("task.tokenizer: sentencepiece tokenizes your own files (task.train)"));
  CHECK_THAT(error_of("task: {kind: g2p, tokenizer: sentencepiece}\n"), Catch::Contains("task.tokenizer: "));
  CHECK_THAT(error_of("task: {kind: lm, train: t.txt, tokenizer: bytes}\n"), Catch::Contains("task.tokenizer"));
  CHECK_THAT(error_of("task: {kind: lm, train: t.txt, sentencepiece: {model: m.model}}\n"),
             Catch::Contains("task.sentencepiece.model: is read by task.tokenizer: sentencepiece"));
  CHECK_THAT(error_of(lm, {"task.sentencepiece.vocab_size=3"}), Catch::Contains("task.sentencepiece.vocab_size"));
  CHECK_THAT(error_of(lm, {"task.sentencepiece.model_type=word"}), Catch::Contains("task.sentencepiece.model_type"));
}
