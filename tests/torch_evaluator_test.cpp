// The evaluator end to end on the shipped G2P sample: a short training run scores,
// constraints make a trial infeasible, the engine can stop a trial early, a huge
// learning rate diverges, and the same seed gives the same result.

#include "evaluator/task_metrics.h"
#include "evaluator/torch/torch_evaluator.h"

// LibTorch 2.x (c10/util/Logging.h) defines a glog-style CHECK that would shadow
// Catch's: include Catch last, after dropping it.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;

namespace {

CellArchitecture tiny_g2p() {
  CellArchitecture a;
  a.model = "encoder_decoder";
  a.d_model = 32;
  a.encoder_layers = 1;
  a.decoder_layers = 1;
  a.encoder.nodes = {CellNode{{{0, "conv3"}}}, CellNode{{{2, "ffn"}}}};
  a.decoder.nodes = {CellNode{{{0, "causal_conv3"}}}, CellNode{{{2, "cross_attention"}}}};
  return a;
}

TorchEvaluator make(TrainOptions t, ObjectiveOptions obj = {}) {
  TaskOptions task;
  task.kind = "g2p";
  task.data = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples";
  task.max_len = 24;
  return TorchEvaluator([](const Architecture&) { return tiny_g2p(); }, task, t, obj, 7);
}

TrainOptions short_train() {
  TrainOptions t;
  t.steps = 200;
  t.batch_size = 32;
  t.lr = 5e-3;
  t.eval_every = 50;
  t.eval_batches = 2;
  return t;
}

struct StopAfter : ProgressSink {
  int reports = 0;
  bool keep_going(int64_t, double) override { return ++reports < 2; }
};

}  // namespace

TEST_CASE("a trial trains, scores PER and reports its metrics", "[torch][evaluator]") {
  auto ev = make(short_train());
  TrialBudget budget;   // 1 thread: OpenMP threads spin badly on a busy 2-core machine
  auto r = ev.evaluate(Architecture{{0}}, budget, StopToken{});
  INFO(r.error);
  REQUIRE(r.status == TrialStatus::ok);
  CHECK(ev.metric() == "val_per");
  CHECK(r.score == r.metrics.at("val_per"));
  // Every metric the config check lets an objective name is one a trial reports.
  TaskOptions task;
  task.kind = "g2p";
  for (const auto& m : objective_metrics(task)) {
    INFO(m);
    CHECK(r.metrics.count(m) == 1);
  }
  // The learning curve: one point per validation report (every 50 of 200 steps).
  CHECK(r.curve.metric == "val_per");
  REQUIRE(r.curve.points.size() == 4);
  CHECK(r.curve.points.front().first == 50);
  CHECK(r.curve.points.back().first == 200);
  CHECK(r.score < 0.9);   // learned something in 200 steps (1.0: says nothing)
  for (const char* k : {"params", "flops", "latency_ms_b1", "latency_ms_b32", "train_seconds", "test_per",
                        "val_word_acc", "host_peak_rss_bytes"})
    CHECK(r.metrics.count(k) == 1);
  CHECK(r.metrics.at("steps") == 200);

  auto again = make(short_train()).evaluate(Architecture{{0}}, budget, StopToken{});
  CHECK(again.score == r.score);   // seeded: the same on CPU
  CHECK(again.metrics.at("train_loss") == r.metrics.at("train_loss"));
}

TEST_CASE("a constraint makes an architecture infeasible before training", "[torch][evaluator]") {
  ObjectiveOptions obj;
  obj.constraints.max_params = 1000;
  auto r = make(short_train(), obj).evaluate(Architecture{{0}}, {}, StopToken{});
  CHECK(r.status == TrialStatus::infeasible);
  CHECK(r.error.find("max_params") != std::string::npos);
  CHECK(r.metrics.count("steps") == 0);
}

TEST_CASE("the engine's progress sink stops a trial early", "[torch][evaluator]") {
  StopAfter sink;
  auto r = make(short_train()).evaluate(Architecture{{0}}, {}, StopToken{}, &sink);
  CHECK(r.status == TrialStatus::stopped_early);
  CHECK(r.metrics.at("steps") == 100);
  CHECK(r.score == r.metrics.at("last_report_val_per"));
}

TEST_CASE("a stop request ends the trial without a score", "[torch][evaluator]") {
  std::atomic<bool> flag{true};
  auto r = make(short_train()).evaluate(Architecture{{0}}, {}, StopToken(&flag));
  CHECK(r.status == TrialStatus::timeout);
  CHECK_FALSE(has_score(r.status));
  CHECK(r.metrics.at("steps") == 0);
}

TEST_CASE("a NaN loss ends the trial as diverged", "[torch][evaluator]") {
  auto t = short_train();
  t.lr = 1e30;
  t.grad_clip = 0;
  t.warmup_fraction = 0;
  auto r = make(t).evaluate(Architecture{{0}}, {}, StopToken{});
  CHECK(r.status == TrialStatus::diverged);
}

TEST_CASE("the reference Transformer trains on the same task", "[torch][evaluator]") {
  auto r = make(short_train()).evaluate_baseline(Architecture{{0}}, {}, StopToken{});
  INFO(r.error);
  CHECK(r.status == TrialStatus::ok);
  CHECK(r.metrics.count("val_per") == 1);
}

// The trial size configs/quickstart.yaml uses (its largest macro choice): prints the
// time a quickstart trial takes on this machine. Slow: run with "[.slow]".
TEST_CASE("a quickstart-sized G2P trial on the sample", "[torch][evaluator][.slow]") {
  CellArchitecture a;
  a.model = "encoder_decoder";
  a.d_model = 64;
  a.encoder_layers = 2;
  a.decoder_layers = 2;
  a.encoder.nodes = {CellNode{{{0, "conv5"}, {1, "local_attention_w8"}}}, CellNode{{{2, "ffn"}}}};
  a.decoder.nodes = {CellNode{{{0, "causal_conv3"}}}, CellNode{{{2, "cross_attention"}, {1, "glu"}}}};
  TaskOptions task;
  task.kind = "g2p";
  task.data = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples";
  task.max_len = 24;
  TrainOptions t;   // as in configs/quickstart.yaml
  t.steps = 300;
  t.batch_size = 32;
  t.lr = 3e-3;
  t.eval_every = 100;
  t.eval_batches = 4;
  t.precision = Precision::fp32;
  TorchEvaluator ev([a](const Architecture&) { return a; }, task, t, {}, 1);
  auto r = ev.evaluate(Architecture{{0}}, {}, StopToken{});
  INFO(r.error);
  REQUIRE(r.status == TrialStatus::ok);
  CHECK(r.score < 0.8);
  WARN("quickstart-sized trial: val_per " << r.score << " word_acc " << r.metrics.at("val_word_acc") << ", params "
                                          << r.metrics.at("params") << ", train " << r.metrics.at("train_seconds")
                                          << " s, whole trial " << r.seconds << " s");
}
