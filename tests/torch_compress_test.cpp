// Compression (issue 17): the Dense layer is torch::nn::Linear where it must be (init,
// forward, parameter names), its int8 mode agrees with fp32 within a stated tolerance,
// weights_int8.pt round-trips exactly and names what is wrong with a bad file, and
// compress_export writes an int8 variant that load_exported_model and predict run.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "evaluator/torch/compress.h"
#include "evaluator/torch/dense.h"
#include "evaluator/torch/distill.h"
#include "evaluator/torch/export_model.h"
#include "evaluator/torch/export_use.h"
#include "evaluator/torch/quantize.h"
#include "test_util.h"

// LibTorch 2.x defines a glog-style CHECK that would shadow Catch's.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;
namespace fs = std::filesystem;

namespace {

// An encoder-only classifier with every op kind that has fully connected layers
// (separable conv, attention, GLU, FFN, concat's combine, the head).
ModelSpec classify_spec() {
  ModelSpec s;
  s.arch.model = "encoder_only";
  s.arch.d_model = 32;
  s.arch.encoder_layers = 2;
  Cell c;
  c.nodes.push_back({{{0, "sep_conv3"}, {1, "local_attention_w4"}}});
  c.nodes.push_back({{{2, "glu"}, {0, "ffn"}}});
  c.nodes.push_back({{{3, "conv3"}}});
  c.combine = "concat";
  s.arch.encoder = c;
  return s;
}

const ModelShape kShape{257, 0, 2, 24};

torch::Tensor logits(SeqModel& m, const torch::Tensor& ids) {
  torch::NoGradGuard no_grad;
  return m->classify(ids, ids.eq(0));
}

}  // namespace

TEST_CASE("Dense starts from and computes exactly what torch::nn::Linear does", "[torch][compress]") {
  torch::manual_seed(11);
  torch::nn::Linear linear(24, 40);
  torch::manual_seed(11);
  Dense dense(24, 40);
  CHECK(torch::equal(linear->weight, dense->weight));
  CHECK(torch::equal(linear->bias, dense->bias));
  const auto x = torch::randn({3, 5, 24});
  CHECK(torch::equal(linear(x), dense(x)));
  const auto names = dense->named_parameters().keys();
  CHECK(names == std::vector<std::string>{"weight", "bias"});
}

// Dynamic int8: weights per-row symmetric, activations quantized per call to 8 bits,
// so each output carries a few 1/127 steps of error; 3% of the largest logit bounds it.
TEST_CASE("an int8 model's outputs agree with fp32 within 3% of the largest output", "[torch][compress]") {
  torch::set_num_threads(1);
  torch::manual_seed(4);
  auto fp32 = build_model(classify_spec(), kShape);
  fp32->eval();
  auto int8 = build_model(classify_spec(), kShape);
  int8->eval();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : int8->named_parameters()) p.value().copy_(fp32->named_parameters()[p.key()]);
  }
  std::vector<DenseImpl*> dense;
  for (const auto& m : int8->modules())
    if (auto* d = m->as<DenseImpl>()) dense.push_back(d);
  CHECK(dense.size() >= 10);
  CHECK(quantize_int8(int8) == static_cast<int>(dense.size()));
  for (const auto* d : dense) CHECK(d->is_int8());
  const auto ids = torch::randint(1, 257, {8, 24}, torch::kLong);
  const auto ref = logits(fp32, ids), got = logits(int8, ids);
  const double scale = ref.abs().max().item<double>();
  INFO("max |int8 - fp32| = " << (got - ref).abs().max().item<double>() << " of max |fp32| " << scale);
  CHECK((got - ref).abs().max().item<double>() <= 0.03 * scale);
  CHECK(torch::equal(ref.argmax(-1), got.argmax(-1)));
}

TEST_CASE("weights_int8.pt reloads the same int8 model; a bad file names the tensor", "[torch][compress]") {
  torch::set_num_threads(1);
  test::TempDir d("compress");
  torch::manual_seed(5);
  auto m = build_model(classify_spec(), kShape);
  m->eval();
  quantize_int8(m);
  const auto file = (d.path() / "weights_int8.pt").string();
  save_int8_weights(m, file);
  auto back = build_model(classify_spec(), kShape);
  back->eval();
  load_int8_weights(back, file);
  const auto ids = torch::randint(1, 257, {4, 24}, torch::kLong);
  CHECK(torch::equal(logits(m, ids), logits(back, ids)));

  SECTION("a model of another shape") {
    ModelSpec wider = classify_spec();
    wider.arch.d_model = 48;
    auto other = build_model(wider, kShape);
    CHECK_THROWS_WITH(load_int8_weights(other, file), Catch::Contains(file) && Catch::Contains("expects"));
  }
  SECTION("an fp32 weights file is not an int8 one") {
    save_weights(m, file);
    CHECK_THROWS_WITH(load_int8_weights(back, file), Catch::Contains(file));
  }
  SECTION("a weights file that is not an archive") {
    std::ofstream(file) << "garbage";
    CHECK_THROWS_WITH(load_int8_weights(back, file), Catch::Contains(file) && Catch::Contains("not a weights archive"));
  }
}

TEST_CASE("int8 scales must be positive and match the layer", "[torch][compress]") {
  Dense dense(8, 4);
  const auto q = torch::ones({4, 8}, torch::kChar);
  CHECK_THROWS_WITH(dense->set_int8(q, torch::zeros({4})), Catch::Contains("positive scales"));
  CHECK_THROWS_WITH(dense->set_int8(q, torch::ones({3})), Catch::Contains("4 positive scales"));
  CHECK_THROWS_WITH(dense->set_int8(torch::ones({4, 7}, torch::kChar), torch::ones({4})), Catch::Contains("shape"));
  use_int8_engine();
  dense->set_int8(q, torch::full({4}, 0.5));
  CHECK(torch::allclose(dense->weight, torch::full({4, 8}, 0.5)));
}

TEST_CASE("compress_export writes an int8 variant 3.5x smaller in its Dense weights that predict runs",
          "[torch][compress]") {
  torch::set_num_threads(1);
  test::TempDir d("compress");
  ExportTraining how;
  how.task.kind = "classify";
  how.task.data = (test::source_dir() / "data" / "samples").string();
  how.task.max_len = 24;
  how.train.steps = 4;
  how.train.batch_size = 8;
  how.train.eval_every = 1000;
  how.use_gpu = false;
  how.seed = 2;
  ModelSpec spec = classify_spec();
  spec.arch.d_model = 64;   // rows long enough that the per-row scale is small beside them
  train_and_export(spec.arch, how, d.path(), nullptr);
  CompressOptions o;
  o.task = how.task;
  const auto reports = compress_export(d.path(), o, nullptr);
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].name == "fp32");
  CHECK(reports[1].name == "int8");
  CHECK(reports[1].dir == d.path() / "compressed" / "int8");
  for (const auto& r : reports)
    for (const char* k : {"val_accuracy", "test_accuracy", "params", "weights_bytes", "latency_ms_b1",
                          "latency_ms_b32", "load_ms"})
      CHECK(r.metrics.count(k) == 1);
  CHECK(reports[1].metrics.at("dense_weight_bytes") * 3.5 <= reports[0].metrics.at("dense_weight_bytes"));
  CHECK(reports[1].metrics.at("weights_bytes") < reports[0].metrics.at("weights_bytes"));
  CHECK(std::abs(reports[1].metrics.at("val_accuracy") - reports[0].metrics.at("val_accuracy")) <= 0.1);

  auto m = load_exported_model(d.path() / "compressed" / "int8");
  CHECK(m.info.variant == "int8");
  const auto p = predict_class(m, "Buy cheap watches now!!!");
  CHECK((p.label == "ham" || p.label == "spam"));
  o.variants = {"int4"};
  CHECK_THROWS_WITH(compress_export(d.path(), o, nullptr),
                    Catch::Contains("unknown variant 'int4'"));
}

TEST_CASE("distillation: the student is the teacher's cells at a smaller width; alpha 0 is the task loss",
          "[torch][compress]") {
  torch::set_num_threads(1);
  ModelSpec teacher_spec = classify_spec();
  teacher_spec.arch.d_model = 64;
  CHECK(student_spec(teacher_spec, 0.5).arch.d_model == 32);
  CHECK(student_spec(teacher_spec, 0.3).arch.d_model == 16);    // 19.2 -> a multiple of 8
  CHECK(student_spec(teacher_spec, 0.01).arch.d_model == 8);
  CHECK(student_spec(teacher_spec, 0.5).arch.encoder.nodes.size() == teacher_spec.arch.encoder.nodes.size());
  CHECK_THROWS_WITH(student_spec(teacher_spec, 1.0), Catch::Contains("(0, 1)"));

  TaskOptions t;
  t.kind = "classify";
  t.data = (test::source_dir() / "data" / "samples").string();
  t.max_len = 24;
  const auto task = make_text_task(t);
  torch::manual_seed(1);
  auto teacher = build_model(teacher_spec, task->shape());
  auto student = build_model(student_spec(teacher_spec, 0.5), task->shape());
  Rng rng(3);
  const auto b = task->sample_train(8, rng);
  DistillOptions o;
  o.alpha = 0;
  CHECK(distill_loss(student, teacher, *task, b, o).item<double>() == Approx(task->loss(student, b).item<double>()));
  o.alpha = 1;
  CHECK(distill_loss(teacher, teacher, *task, b, o).item<double>() == Approx(0).margin(1e-5));   // a model is its own teacher
  CHECK(distill_loss(student, teacher, *task, b, o).item<double>() > 1e-4);
}
