// The cells space's analytic cost model (space/cell_cost.h) against the LibTorch
// builder: for random architectures of the shipped configs' spaces (every model kind,
// both combines), CellCostModel's params and FLOPs equal SeqModel::num_parameters()
// and SeqModel::flops() exactly. Models are built on the CPU and never run.
#include <catch2/catch.hpp>

#include "app/config_loader.h"
#include "common/rng.h"
#include "evaluator/task_dims.h"
#include "evaluator/torch/seq_model.h"
#include "evaluator/torch/text_tasks.h"
#include "space/cell_cost.h"

using namespace mctsnas;

namespace {

void check_config(const std::string& name, int count, CellCombine combine = CellCombine::sum) {
  INFO(name << ", combine " << name_of(combine));
  RunOptions o = load_config(std::filesystem::path(MCTSNAS_SOURCE_DIR) / "configs" / name, {});
  o.space.cells.encoder.combine = o.space.cells.decoder.combine = combine;
  CellSpace space(o.space.cells);
  const ModelDims dims = *task_model_dims(o.task);
  CellCostModel model(space, dims);
  const torchnas::ModelShape shape{dims.src_vocab, dims.tgt_vocab, dims.num_classes, dims.max_len};
  Rng rng(17);
  for (int i = 0; i < count; ++i) {
    const Architecture a = space.random(rng);
    torchnas::ModelSpec spec;
    spec.arch = space.decode(a);
    auto m = torchnas::build_model(spec, shape);
    INFO(space.key(a));
    REQUIRE(model.cost(CostKind::params, a.choices) == static_cast<double>(m->num_parameters()));
    REQUIRE(model.cost(CostKind::flops, a.choices) == m->flops(dims.flop_src_len, dims.flop_tgt_len));
  }
}

}  // namespace

TEST_CASE("cell cost: equal to the builder's params and FLOPs (quickstart, 1000 architectures)", "[torch][cost]") {
  check_config("quickstart.yaml", 1000);
  check_config("quickstart.yaml", 200, CellCombine::concat);
}

TEST_CASE("cell cost: equal to the builder's params and FLOPs (g2p, lm, classify)", "[torch][cost]") {
  check_config("g2p_gpu.yaml", 50);
  check_config("g2p_gpu.yaml", 25, CellCombine::concat);
  check_config("cells_lm.yaml", 20);
  check_config("classify_gpu.yaml", 20);
}

// On a user's files the vocabularies (seq2seq, lm) and the label count (classify) come
// from the training data: the cost model reads them as the task does.
TEST_CASE("cell cost on a user's data: the task's own shape, and equal to the builder's", "[torch][cost][user_data]") {
  for (const char* name : {"seq2seq_example.yaml", "lm_example.yaml", "intent_example.yaml"}) {
    INFO(name);
    const RunOptions o = load_config(std::filesystem::path(MCTSNAS_SOURCE_DIR) / "configs" / name, {});
    const ModelDims dims = *task_model_dims(o.task);
    const auto shape = torchnas::make_text_task(o.task)->shape();
    CHECK(shape.src_vocab == dims.src_vocab);
    CHECK(shape.tgt_vocab == dims.tgt_vocab);
    CHECK(shape.num_classes == dims.num_classes);
    CHECK(shape.max_len == dims.max_len);
    check_config(name, 20);
  }
}

// The g2p space's models are large (up to ~10M parameters each to initialize): 1,000
// of them take about three minutes on two busy cores, so they run on request:
// `mctsnas_torch_tests "[.long]"`.
TEST_CASE("cell cost: equal to the builder's (g2p, 1000 architectures)", "[torch][cost][.long]") {
  check_config("g2p_gpu.yaml", 1000);
}
