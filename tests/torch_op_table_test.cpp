// The op table kind by kind (space/op_table.cpp, evaluator/torch/op_modules.cpp):
// every kind has a LibTorch builder, and every op name the vocabulary lists passes
// the generic checks: output shape, causality as declared, FLOPs, and export parity
// through the generated model.py. A new op kind is checked here without a new test.
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "evaluator/torch/export_model.h"
#include "evaluator/torch/op_modules.h"
#include "space/ops.h"
#include "test_util.h"
#include "torch_parity.h"

// LibTorch 2.x defines a glog-style CHECK that would shadow Catch's.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;

namespace {

constexpr int64_t kD = 16;

// The listed op names of a kind (its examples and their causal_ forms), parsed.
std::vector<OpSpec> specs_of(const OpKind& kind) {
  std::vector<OpSpec> out;
  for (const auto& name : op_names()) {
    auto spec = parse_op(name);
    REQUIRE(spec);
    if (spec->kind == &kind) out.push_back(*spec);
  }
  return out;
}

std::vector<OpSpec> all_specs() {
  std::vector<OpSpec> out;
  for (const OpKind& k : op_kinds())
    for (auto& s : specs_of(k)) out.push_back(std::move(s));
  return out;
}

// Where an op may go: an encoder cell, or (causal ops, ops that read the encoder)
// only a decoder cell.
bool encoder_op(const OpSpec& s) { return !s.causal && !s.kind->needs_encoder; }

std::shared_ptr<OpModuleImpl> build(const OpSpec& s) {
  torch::manual_seed(7);
  return make_op(s, kD, !encoder_op(s), true);
}

OpContext context() {
  OpContext ctx;
  ctx.memory = torch::randn({2, 9, kD});
  return ctx;
}

// A one-layer model whose cell is the op alone on the layer input, with the task
// and forward that suit where the op may go.
struct OpModel {
  std::string task, call;
  ModelSpec spec;
  ModelShape shape;
  std::vector<std::string> labels;   // classify: one name per class
};

OpModel op_model(const OpSpec& s) {
  OpModel m;
  Cell cell;
  cell.nodes.push_back({{CellEdge{0, s.name}}});
  auto& a = m.spec.arch;
  a.d_model = static_cast<int>(kD);
  if (encoder_op(s)) {
    m.task = "classify";
    m.call = "encode";
    m.shape = {257, 0, 2, 16};
    m.labels = {"ham", "spam"};
    a.model = "encoder_only";
  } else {
    m.task = s.kind->needs_encoder ? "g2p" : "lm";
    m.call = "decode";
    m.shape = s.kind->needs_encoder ? ModelShape{257, 42, 0, 16} : ModelShape{0, 257, 0, 16};
    a.model = s.kind->needs_encoder ? "encoder_decoder" : "decoder_only";
    a.decoder_layers = 1;
    a.decoder = cell;
    cell.nodes[0].inputs[0].op = "identity";   // the encoder, if any
  }
  if (a.model != "decoder_only") {
    a.encoder_layers = 1;
    a.encoder = cell;
  }
  return m;
}

}  // namespace

TEST_CASE("op table: every op kind has a builder and listed names; every builder an op kind", "[torch][ops][op_table]") {
  for (const OpKind& k : op_kinds()) {
    INFO(k.name);
    CHECK(find_op_builder(k.name) != nullptr);
    CHECK(!specs_of(k).empty());
  }
  for (const OpBuilder& b : op_builders()) {
    INFO(b.kind);
    CHECK(find_op_kind(b.kind) != nullptr);
    CHECK(!b.python_make.empty());
  }
}

TEST_CASE("op table: every op maps [B, T, D] to [B, T, D]; only zero builds nothing", "[torch][ops][op_table]") {
  const auto ctx = context();
  for (const auto& s : all_specs()) {
    INFO(s.name);
    auto m = build(s);
    CHECK((m == nullptr) == (s.name == kZeroOp));
    if (!m) continue;
    auto y = m->forward(torch::randn({2, 11, kD}), ctx);
    CHECK(y.sizes() == torch::IntArrayRef({2, 11, kD}));
    CHECK(torch::isfinite(y).all().item<bool>());
  }
}

TEST_CASE("op table: decoder ops never read the future; non-causal sequence ops do", "[torch][ops][op_table]") {
  const int64_t t = 12, cut = 5;
  const auto ctx = context();
  for (const auto& s : all_specs()) {
    auto m = build(s);
    if (!m) continue;
    INFO(s.name);
    torch::manual_seed(2);
    auto x = torch::randn({2, t, kD});
    auto x2 = x.clone();
    x2.slice(1, cut + 1) = torch::randn({2, t - cut - 1, kD}) * 5;
    const bool past_same = torch::allclose(m->forward(x, ctx).slice(1, 0, cut + 1),
                                           m->forward(x2, ctx).slice(1, 0, cut + 1), 1e-5, 1e-6);
    // A decoder may hold it: causal, or position-wise.
    const bool decoder_legal = s.causal || !s.kind->sequence;
    CHECK(past_same == decoder_legal);
  }
}

TEST_CASE("op table: FLOPs are positive and grow with length, zero only for ops that compute nothing",
          "[torch][ops][op_table]") {
  const auto ctx = context();
  for (const auto& s : all_specs()) {
    INFO(s.name);
    auto m = build(s);
    const auto x = torch::randn({2, 12, kD});
    const auto y = m ? m->forward(x, ctx) : torch::zeros_like(x);
    const bool computes_nothing = torch::equal(y, x) || torch::equal(y, torch::zeros_like(y));
    const double f = op_flops(s, kD, 12, 9);
    if (computes_nothing) {
      CHECK(f == 0);
    } else {
      CHECK(f > 0);
      CHECK(op_flops(s, kD, 24, 18) > f);
    }
  }
}

TEST_CASE("op table: the params formula counts exactly the module's parameters", "[torch][ops][op_table][cost]") {
  for (const auto& s : all_specs()) {
    INFO(s.name);
    auto m = build(s);
    int64_t n = 0;
    if (m)
      for (const auto& p : m->parameters()) n += p.numel();
    CHECK(op_params(s, kD) == n);
  }
}

TEST_CASE("op table: model.py reproduces every op", "[torch][ops][op_table][export]") {
  const std::string py = test::python_with_torch();
  if (py.empty()) {
    WARN("skipping: no python3 with torch (Debian: apt install python3-torch)");
    return;
  }
  torch::set_num_threads(1);
  test::TempDir d("op-parity");
  const auto specs = all_specs();
  std::vector<test::ParityJob> jobs;
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto m = op_model(specs[i]);
    torch::manual_seed(3);
    auto model = build_model(m.spec, m.shape);
    test::randomize(model, 11 + i);
    model->eval();
    const auto dir = d.path() / specs[i].name;
    write_model_files(model, m.spec, m.shape, m.task, dir, {}, m.labels);
    const auto forward = test::parity_forward(m.spec, m.shape, m.call);
    jobs.push_back({dir, forward, test::run_forward(model, forward), model->num_parameters()});
  }
  const auto got = test::run_parity(py, jobs, d.path());
  for (size_t i = 0; i < specs.size(); ++i) {
    INFO(specs[i].name << ": " << got[i].error);
    REQUIRE(got[i].error.empty());
    REQUIRE(got[i].same_size);
    CHECK(got[i].same_params);
    INFO("max |python - C++| = " << got[i].max_diff);
    CHECK(got[i].max_diff <= 1e-5);
    CHECK(jobs[i].expected.abs().max().item<double>() > 1e-2);
  }
}
