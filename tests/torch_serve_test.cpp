// One serve-plan instance in this process (evaluator/torch/serve_instance.h): the
// requests it times for each task, its messages in order, the reference Transformer
// in place of the model, and a bad model directory reported as an error message.
#include "evaluator/char_vocab.h"
#include "evaluator/torch/baseline_model.h"
#include "evaluator/torch/export_model.h"
#include "evaluator/torch/export_use.h"
#include "evaluator/torch/serve_instance.h"
#include "evaluator/torch/serve_request.h"
#include "test_util.h"

#undef CHECK   // LibTorch 2.x defines a glog-style CHECK: Catch's comes last
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;
namespace fs = std::filesystem;

namespace {

struct RecordingChannel : InstanceChannel {
  std::vector<nlohmann::json> sent;
  int gos = 0;
  void send(const nlohmann::json& m) override { sent.push_back(m); }
  void wait_go() override { ++gos; }
};

ModelSpec encoder_spec(const std::string& model) {
  ModelSpec s;
  s.arch.model = model;
  s.arch.d_model = 16;
  Cell c;
  c.nodes.push_back({{{0, model == "encoder_only" ? "ffn" : "causal_conv3"}}});
  if (model != "decoder_only") {
    s.arch.encoder_layers = 1;
    s.arch.encoder = model == "encoder_only" ? c : Cell{{{{{0, "conv3"}}}}};
  }
  if (model != "encoder_only") {
    s.arch.decoder_layers = 1;
    s.arch.decoder = Cell{{{{{0, "causal_conv3"}}}}};
  }
  return s;
}

fs::path export_tiny(const test::TempDir& d, const std::string& task, const std::string& model, ModelShape shape) {
  const fs::path dir = d / task;
  auto m = build_model(encoder_spec(model), shape);
  write_model_files(m, encoder_spec(model), shape, task, dir, {}, task == "classify" ? std::vector<std::string>{"a", "b"}
                                                                                     : std::vector<std::string>{});
  return dir;
}

}  // namespace

TEST_CASE("a serving request has the trial latency's shapes for each task", "[serve][torch]") {
  test::TempDir d("serve");
  const auto cls = load_exported_model(export_tiny(d, "classify", "encoder_only", {258, 0, 2, 24}));
  auto r = make_serve_request(cls.info, 3);
  CHECK(r.ids.sizes() == torch::IntArrayRef({3, 24}));
  auto m = cls.model;
  CHECK(serve(m, r).sizes() == torch::IntArrayRef({3, 2}));
  const auto lm = load_exported_model(export_tiny(d, "lm", "decoder_only", {0, 258, 0, 16}));
  auto lm_model = lm.model;
  CHECK(serve(lm_model, make_serve_request(lm.info, 2)).sizes() == torch::IntArrayRef({2, 258}));
  const auto g2p = load_exported_model(export_tiny(d, "g2p", "encoder_decoder", {258, 42, 0, 12}));
  auto g2p_model = g2p.model;
  // BOS and max_len - 1 greedy steps, never stopping early.
  CHECK(serve(g2p_model, make_serve_request(g2p.info, 2)).sizes() == torch::IntArrayRef({2, 12}));
  CHECK_THROWS_WITH(make_serve_request(cls.info, 0), Catch::Contains("batch of at least 1"));

  // A seq2seq model of a user's pairs: ids of its own (char) source vocabulary, a whole decode.
  CharVocab src, tgt;
  src.learn("abc");
  tgt.learn("XYZ ");
  const ModelShape s2s_shape{src.size(), tgt.size(), 0, 10};
  const auto spec = encoder_spec("encoder_decoder");
  write_model_files(build_model(spec, s2s_shape), spec, s2s_shape, "seq2seq", d / "seq2seq", {}, {}, {&src, &tgt});
  const auto s2s = load_exported_model(d / "seq2seq");
  const auto s2s_request = make_serve_request(s2s.info, 2);
  CHECK(s2s_request.ids.min().item<int64_t>() >= CharVocab::kFirst);
  CHECK(s2s_request.ids.max().item<int64_t>() < src.size());
  auto s2s_model = s2s.model;
  CHECK(serve(s2s_model, s2s_request).sizes() == torch::IntArrayRef({2, 10}));
}

TEST_CASE("an instance loads, then times each batch size after its go", "[serve][torch]") {
  test::TempDir d("serve");
  InstanceSpec spec{export_tiny(d, "classify", "encoder_only", {258, 0, 2, 24}), false, 1, -1, {1, 3}, 0.02, 1};
  RecordingChannel ch;
  REQUIRE(run_serve_instance(spec, ch) == 0);
  REQUIRE(ch.sent.size() == 5);
  CHECK(ch.sent[0]["loaded"]["first_load_ms"] > 0);
  const int64_t params = ch.sent[0]["loaded"]["params"];
  CHECK(ch.sent[1]["ready"] == 1);
  CHECK(ch.sent[2]["batch"] == 1);
  CHECK(!ch.sent[2]["ms"].empty());
  CHECK(ch.sent[2]["elapsed_s"] >= 0.02);
  CHECK(ch.sent[3]["ready"] == 3);
  CHECK(ch.sent[4]["batch"] == 3);
  CHECK(ch.gos == 2);

  spec.reference = true;
  RecordingChannel ref;
  REQUIRE(run_serve_instance(spec, ref) == 0);
  const auto info = load_exported_model(spec.model_dir).info;
  CHECK(ref.sent[0]["loaded"]["params"] == param_matched_baseline(info.spec.arch, info.shape).params);
  CHECK(ref.sent[0]["loaded"]["params"] != params);

  spec.model_dir = d / "missing";
  RecordingChannel bad;
  CHECK(run_serve_instance(spec, bad) == 1);
  REQUIRE(bad.sent.size() == 1);
  CHECK(bad.sent[0]["error"].get<std::string>().find("missing") != std::string::npos);
}
