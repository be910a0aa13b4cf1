// Structured pruning (issue 17, evaluator/torch/prune.h): the L1 ranking of units,
// ops rebuilt physically smaller from per-op widths (ModelSpec::op_units) that
// model.json and model.py carry, kept units computing what they did, the pruned model
// through load_exported_model, predict and model.py, and model.json files without
// widths loading as before.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "evaluator/torch/compress.h"
#include "evaluator/torch/export_model.h"
#include "evaluator/torch/export_use.h"
#include "evaluator/torch/prune.h"
#include "test_util.h"
#include "torch_parity.h"

// LibTorch 2.x defines a glog-style CHECK that would shadow Catch's.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;
namespace fs = std::filesystem;

namespace {

// Attention with 4 heads of width 8 in the encoder, self- and cross-attention and an
// ffn in the decoder, convolutions (which stay whole) in both.
ModelSpec g2p_spec() {
  ModelSpec s;
  s.arch.model = "encoder_decoder";
  s.arch.d_model = 32;
  s.arch.encoder_layers = 2;
  s.arch.decoder_layers = 1;
  s.arch.encoder.nodes = {{{{0, "conv3"}, {1, "local_attention_w4"}}}, {{{2, "ffn"}}}};
  s.arch.decoder.nodes = {{{{0, "causal_conv3"}, {0, "causal_local_attention_w4_h2"}}},
                          {{{2, "cross_attention"}, {0, "ffn"}}}};
  return s;
}

const ModelShape kShape{257, 42, 0, 16};

SeqModel random_model(const ModelSpec& spec, uint64_t seed) {
  auto m = build_model(spec, kShape);
  test::randomize(m, seed);
  m->eval();
  return m;
}

OpModuleImpl& op_at(const SeqModel& m, const std::string& path) {
  auto* op = dynamic_cast<OpModuleImpl*>(m->named_modules()[path].get());
  REQUIRE(op != nullptr);
  return *op;
}

torch::Tensor op_forward(OpModuleImpl& op, const torch::Tensor& x, const torch::Tensor& memory) {
  torch::NoGradGuard no_grad;
  OpContext ctx;
  ctx.memory = memory;
  return op.forward(x, ctx);
}

// The original op's output with the dropped units' output weights zeroed: what the
// pruned op must compute when its kept units are the original's.
torch::Tensor without_units(const SeqModel& model, const std::string& path, const std::string& out_weight,
                            const torch::Tensor& keep, int64_t width, const torch::Tensor& x,
                            const torch::Tensor& memory) {
  auto copy = random_model(g2p_spec(), 0);
  {
    torch::NoGradGuard no_grad;
    auto src = model->named_parameters();
    for (auto& p : copy->named_parameters()) p.value().copy_(src[p.key()]);
    auto w = copy->named_parameters()[path + "." + out_weight];
    auto dropped = torch::ones({w.size(1) / width}, torch::kBool);
    dropped.index_fill_(0, keep, false);
    w.masked_fill_(dropped.repeat_interleave(width).unsqueeze(0), 0.0);
  }
  return op_forward(op_at(copy, path), x, memory);
}

}  // namespace

TEST_CASE("units_to_keep keeps the highest L1 scores in their order, at least one", "[torch][prune]") {
  const auto scores = torch::tensor({3.0, 1.0, 5.0, 5.0, 0.0});
  CHECK(torch::equal(units_to_keep(scores, 0.4), torch::tensor({0, 2, 3}, torch::kLong)));   // 3 of 5
  CHECK(torch::equal(units_to_keep(scores, 0.5), torch::tensor({0, 2, 3}, torch::kLong)));   // round(2.5) = 3
  CHECK(torch::equal(units_to_keep(scores, 0.7), torch::tensor({2, 3}, torch::kLong)));
  CHECK(torch::equal(units_to_keep(scores, 0.99), torch::tensor({2}, torch::kLong)));   // a tie: the lower index
}

TEST_CASE("an ffn's and an attention op's unit scores are the L1 norms of each unit's weights", "[torch][prune]") {
  torch::manual_seed(2);
  FfnOp ffn(4, 3);
  auto p = ffn->named_parameters();
  std::vector<double> expected(3, 0.0);
  for (int64_t j = 0; j < 3; ++j) {
    expected[j] += p["up.bias"][j].abs().item<double>();
    for (int64_t i = 0; i < 4; ++i)
      expected[j] += p["up.weight"][j][i].abs().item<double>() + p["down.weight"][i][j].abs().item<double>();
  }
  const auto s = ffn->unit_scores();
  for (int64_t j = 0; j < 3; ++j) CHECK(s[j].item<double>() == Approx(expected[j]));

  // d_model 8, 2 heads of 4: kv's rows are k heads 0-1 then v heads 0-1.
  AttentionOp attn(8, 2, 0, false, false);
  {
    torch::NoGradGuard no_grad;
    for (auto& t : attn->parameters()) t.fill_(0.0);
    auto a = attn->named_parameters();
    a["q.weight"].slice(0, 4, 8).fill_(1.0);    // head 1: 4 rows x 8
    a["kv.weight"].slice(0, 8, 12).fill_(2.0);  // v of head 0: 4 x 8
    a["kv.bias"].slice(0, 0, 4).fill_(-1.0);    // k of head 0
    a["out.weight"].slice(1, 4, 8).fill_(0.5);  // columns of head 1: 8 x 4
    a["out.bias"].fill_(100.0);                 // shared by the heads: in no score
  }
  const auto h = attn->unit_scores();
  CHECK(h[0].item<double>() == Approx(2.0 * 32 + 4));
  CHECK(h[1].item<double>() == Approx(32 + 0.5 * 32));
}

TEST_CASE("prune_model builds a physically smaller model whose kept units are the original's", "[torch][prune]") {
  torch::set_num_threads(1);
  const auto spec = g2p_spec();
  auto model = random_model(spec, 7);
  auto pruned = prune_model(model, spec, kShape, 0.5);
  // Encoder layers 0-1: attention (4 -> 2 heads) and ffn; the decoder: its causal
  // attention (2 -> 1 heads), cross-attention and ffn. Convolutions stay whole.
  CHECK(pruned.ops == 7);
  CHECK(pruned.spec.op_units == OpUnits{{"encoder.0.node0_in1", 2}, {"encoder.0.node1_in0", 64},
                                        {"encoder.1.node0_in1", 2}, {"encoder.1.node1_in0", 64},
                                        {"decoder.0.node0_in1", 1}, {"decoder.0.node1_in0", 2},
                                        {"decoder.0.node1_in1", 64}});
  CHECK(pruned.model->num_parameters() < model->num_parameters());
  const auto pp = pruned.model->named_parameters();
  CHECK(pp["encoder.0.node1_in0.up.weight"].sizes() == std::vector<int64_t>{64, 32});
  CHECK(pp["decoder.0.node0_in1.kv.weight"].sizes() == std::vector<int64_t>{32, 32});   // 1 head of 16, k and v
  // The sum of the op formulas (OpSpec::units) is the model's count.
  int64_t ops = 0, pruned_ops = 0;
  for (const auto& [path, units] : pruned.spec.op_units) {
    for (const auto& t : op_at(model, path).parameters()) ops += t.numel();
    for (const auto& t : op_at(pruned.model, path).parameters()) pruned_ops += t.numel();
  }
  CHECK(model->num_parameters() - ops == pruned.model->num_parameters() - pruned_ops);

  const auto orig = model->named_parameters();
  for (const auto& p : pp)
    if (p.key().find(".node1_in0.") == std::string::npos && p.key().find(".node0_in1.") == std::string::npos &&
        p.key().find("decoder.0.node1_in1.") == std::string::npos)
      CHECK(torch::equal(p.value(), orig[p.key()]));   // outside the pruned ops: unchanged
  const std::string ffn = "encoder.0.node1_in0.", attn = "encoder.0.node0_in1.";
  const auto keep = units_to_keep(op_at(model, "encoder.0.node1_in0").unit_scores(), 0.5);
  CHECK(torch::equal(pp[ffn + "up.weight"], orig[ffn + "up.weight"].index_select(0, keep)));
  CHECK(torch::equal(pp[ffn + "up.bias"], orig[ffn + "up.bias"].index_select(0, keep)));
  CHECK(torch::equal(pp[ffn + "down.weight"], orig[ffn + "down.weight"].index_select(1, keep)));
  CHECK(torch::equal(pp[ffn + "down.bias"], orig[ffn + "down.bias"]));
  // The two kept heads (of 4, 8 wide): their rows of k (kv rows 0-31) and v (32-63).
  const auto heads = units_to_keep(op_at(model, "encoder.0.node0_in1").unit_scores(), 0.5);
  REQUIRE(heads.numel() == 2);
  for (int64_t j = 0; j < 2; ++j) {
    const int64_t h = heads[j].item<int64_t>();
    for (int64_t part : {0, 1})
      CHECK(torch::equal(pp[attn + "kv.weight"].slice(0, part * 16 + j * 8, part * 16 + j * 8 + 8),
                         orig[attn + "kv.weight"].slice(0, part * 32 + h * 8, part * 32 + h * 8 + 8)));
    CHECK(torch::equal(pp[attn + "out.weight"].slice(1, j * 8, j * 8 + 8),
                       orig[attn + "out.weight"].slice(1, h * 8, h * 8 + 8)));
  }

  const auto x = torch::randn({2, 5, 32}), memory = torch::randn({2, 6, 32});
  SECTION("a pruned op computes the original with the dropped units' outputs removed") {
    for (const auto& [path, out_weight, width] :
         {std::tuple{std::string("encoder.1.node1_in0"), std::string("down.weight"), int64_t{1}},
          std::tuple{std::string("encoder.1.node0_in1"), std::string("out.weight"), int64_t{8}},
          std::tuple{std::string("decoder.0.node0_in1"), std::string("out.weight"), int64_t{16}},
          std::tuple{std::string("decoder.0.node1_in0"), std::string("out.weight"), int64_t{8}}}) {
      INFO(path);
      const auto k = units_to_keep(op_at(model, path).unit_scores(), 0.5);
      const auto want = without_units(model, path, out_weight, k, width, x, memory);
      CHECK(torch::allclose(op_forward(op_at(pruned.model, path), x, memory), want, 1e-5, 1e-5));
    }
  }
  SECTION("the whole model keeps its output shape") {
    const auto f = test::parity_forward(spec, kShape, "decode");
    CHECK(test::run_forward(pruned.model, f).sizes() == test::run_forward(model, f).sizes());
  }
  CHECK_THROWS_WITH(prune_model(model, spec, kShape, 0.0), Catch::Contains("in (0, 1)"));
  CHECK_THROWS_WITH(prune_model(model, spec, kShape, 1.0), Catch::Contains("in (0, 1)"));
}

TEST_CASE("a pruned model's model.json, weights and model.py rebuild it; files without widths load as before",
          "[torch][prune]") {
  torch::set_num_threads(1);
  test::TempDir d("prune");
  const auto spec = g2p_spec();
  auto model = random_model(spec, 8);
  write_model_files(model, spec, kShape, "g2p", d.path() / "full");
  const auto full_json = nlohmann::json::parse(std::ifstream(d.path() / "full" / "model.json"));
  CHECK_FALSE(full_json["architecture"].contains("op_units"));   // unpruned: the format as before
  CHECK(read_model_description(full_json, "model.json").spec.op_units.empty());

  auto pruned = prune_model(model, spec, kShape, 0.5);
  write_model_files(pruned.model, pruned.spec, kShape, "g2p", d.path() / "pruned");
  auto loaded = load_exported_model(d.path() / "pruned");
  CHECK(loaded.info.spec.op_units == pruned.spec.op_units);
  const auto f = test::parity_forward(spec, kShape, "decode");
  const auto expected = test::run_forward(pruned.model, f);
  CHECK(torch::equal(test::run_forward(loaded.model, f), expected));
  CHECK(predict_phonemes(loaded, "hello").size() <= static_cast<size_t>(kShape.max_len));

  const std::string py = test::python_with_torch();
  if (py.empty()) {
    WARN("skipping model.py parity: no python3 with torch (Debian: apt install python3-torch)");
  } else {
    const std::vector<test::ParityJob> job = {{d.path() / "pruned", f, expected, pruned.model->num_parameters()}};
    const auto got = test::run_parity(py, job, d.path()).at(0);
    INFO(got.error);
    REQUIRE(got.error.empty());
    CHECK(got.same_params);
    REQUIRE(got.same_size);
    CHECK(got.max_diff <= 1e-5);
    CHECK(expected.abs().max().item<double>() > 1e-2);
  }
}

TEST_CASE("a pruned width that does not fit the model is an error naming it", "[torch][prune]") {
  const auto spec = g2p_spec();
  auto model = random_model(spec, 9);
  auto bad = model_description(prune_model(model, spec, kShape, 0.5).spec, kShape, "g2p");
  SECTION("a width for an op that has no units") {
    bad["architecture"]["op_units"]["encoder.0.node0_in0"] = 16;   // conv3
    CHECK_THROWS_WITH(build_model(read_model_description(bad, "m.json").spec, kShape),
                      Catch::Contains("conv3") && Catch::Contains("no units to prune"));
  }
  SECTION("a width for an op the model does not have") {
    bad["architecture"]["op_units"]["encoder.2.node1_in0"] = 16;
    CHECK_THROWS_WITH(build_model(read_model_description(bad, "m.json").spec, kShape),
                      Catch::Contains("encoder.2.node1_in0"));
    bad["architecture"]["op_units"].erase("encoder.2.node1_in0");
    bad["architecture"]["op_units"]["encoder.0.node5_in0"] = 16;
    CHECK_THROWS_WITH(build_model(read_model_description(bad, "m.json").spec, kShape),
                      Catch::Contains("names an op the cell does not have"));
  }
  SECTION("more heads than the op has, or none") {
    bad["architecture"]["op_units"]["encoder.0.node0_in1"] = 5;
    CHECK_THROWS_WITH(build_model(read_model_description(bad, "m.json").spec, kShape),
                      Catch::Contains("keeps 5 of its 4 heads"));
    bad["architecture"]["op_units"]["encoder.0.node0_in1"] = 0;
    CHECK_THROWS_WITH(read_model_description(bad, "m.json"),
                      Catch::Contains("architecture.op_units.encoder.0.node0_in1") && Catch::Contains(">= 1"));
  }
}

TEST_CASE("compress's prune variant is a smaller fp32 model directory that predict runs", "[torch][prune]") {
  torch::set_num_threads(1);
  test::TempDir d("prune");
  ExportTraining how;
  how.task.kind = "classify";   // measured faster than g2p's greedy decoding
  how.task.data = (test::source_dir() / "data" / "samples").string();
  how.task.max_len = 16;
  how.train.steps = 3;
  how.train.batch_size = 8;
  how.train.eval_every = 1000;
  how.train.eval_batches = 1;
  how.use_gpu = false;
  ModelSpec spec;
  spec.arch.model = "encoder_only";
  spec.arch.d_model = 32;
  spec.arch.encoder_layers = 1;
  spec.arch.encoder.nodes = {{{{0, "local_attention_w4"}, {1, "conv3"}}}, {{{2, "ffn"}}}};
  train_and_export(spec.arch, how, d.path(), nullptr);
  CompressOptions o;
  o.task = how.task;
  o.train = how.train;
  o.variants = {"prune"};
  o.prune_steps = 0;   // no fine-tuning: the saved weights are the selected ones
  auto reports = compress_export(d.path(), o, nullptr);
  REQUIRE(reports.size() == 2);
  CHECK(reports[1].name == "prune");
  CHECK(reports[1].dir == d.path() / "compressed" / "prune");
  CHECK(reports[1].metrics.at("params") < reports[0].metrics.at("params"));
  CHECK(reports[1].metrics.at("weights_bytes") < reports[0].metrics.at("weights_bytes"));
  CHECK(reports[1].metrics.count("val_accuracy") == 1);
  auto original = load_exported_model(d.path());
  auto saved = load_exported_model(d.path() / "compressed" / "prune");
  const auto expected = prune_model(original.model, original.info.spec, original.info.shape, 0.5);
  for (const auto& p : saved.model->named_parameters())
    CHECK(torch::equal(p.value(), expected.model->named_parameters()[p.key()]));
  CHECK(fs::exists(d.path() / "compressed" / "prune" / "model.py"));

  o.prune_steps = 2;   // fine-tuned: the weights move
  reports = compress_export(d.path(), o, nullptr);
  auto tuned = load_exported_model(d.path() / "compressed" / "prune");
  CHECK_FALSE(torch::equal(tuned.model->named_parameters()["encoder.0.node1_in0.up.weight"],
                           saved.model->named_parameters()["encoder.0.node1_in0.up.weight"]));
  CHECK_FALSE(predict_class(tuned, "Buy cheap watches now!!!").label.empty());
  o.prune_fraction = 1.5;
  CHECK_THROWS_WITH(compress_export(d.path(), o, nullptr), Catch::Contains("prune fraction must be in (0, 1)"));
  o.prune_fraction = 0.5;
  o.prune_steps = -1;
  CHECK_THROWS_WITH(compress_export(d.path(), o, nullptr), Catch::Contains("prune steps must be >= 0"));
}
