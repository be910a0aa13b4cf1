#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "space/ops.h"

using namespace mctsnas;

TEST_CASE("ops: every listed name parses back to itself", "[ops]") {
  REQUIRE(op_names().size() >= 20);
  for (const auto& n : op_names()) {
    auto op = parse_op(n);
    INFO(n);
    REQUIRE(op);
    CHECK(op->name == n);
  }
}

TEST_CASE("ops: parameters come from the name", "[ops]") {
  auto c5 = parse_op("conv5");
  REQUIRE(c5);
  CHECK(c5->kind->name == "conv");
  CHECK(c5->kernel == 5);
  CHECK(!c5->causal);
  CHECK(c5->is_sequence_op());

  auto d = parse_op("causal_dilated_conv3_d4");
  REQUIRE(d);
  CHECK(d->kind->name == "dilated_conv");
  CHECK(d->kernel == 3);
  CHECK(d->dilation == 4);
  CHECK(d->causal);

  CHECK(parse_op("dilated_conv5")->dilation == 2);  // default dilation
  CHECK(parse_op("sep_conv7")->kind->name == "sep_conv");

  auto la = parse_op("local_attention_w16_h8");
  REQUIRE(la);
  CHECK(la->kind->name == "local_attention");
  CHECK(la->window == 16);
  CHECK(la->heads == 8);
  CHECK(la->name == "local_attention_w16_h8");

  auto x = parse_op("cross_attention");
  REQUIRE(x);
  CHECK(x->kind->name == "cross_attention");
  CHECK(x->window == 0);  // full
  CHECK(!x->is_sequence_op());
  CHECK(parse_op("cross_attention_w8_h2")->window == 8);
  CHECK(parse_op("cross_attention_w8_h2")->heads == 2);

  for (const char* p : {"glu", "ffn", "identity", "zero"}) {
    auto op = parse_op(p);
    REQUIRE(op);
    CHECK(!op->is_sequence_op());
    CHECK(!op->causal);
  }
}

TEST_CASE("ops: default parameters are dropped from the canonical name", "[ops]") {
  CHECK(parse_op("local_attention_w8_h4")->name == "local_attention_w8");
  CHECK(parse_op("dilated_conv3_d2")->name == "dilated_conv3");
  CHECK(parse_op("cross_attention_h4")->name == "cross_attention");
}

TEST_CASE("ops: malformed names are rejected", "[ops]") {
  for (const char* bad : {"", "conv", "conv4", "conv1", "conv33x", "conv03", "conv99", "causal_glu", "causal_zero",
                          "causal_cross_attention", "local_attention", "local_attention_w", "local_attention_w1",
                          "local_attention_w8_h0", "dilated_conv3_d1", "dilated_conv3_d", "sep_conv", "ffn2",
                          "Conv3", "conv3 ", "causal_", "cross_attention_w1", "identity_x"}) {
    INFO("'" << bad << "'");
    CHECK(!parse_op(bad));
  }
}

TEST_CASE("ops: FLOP estimates grow with kernel and window", "[ops]") {
  auto f = [](const char* n, int64_t t) { return op_flops(*parse_op(n), 64, t, t); };
  CHECK(f("conv5", 32) > f("conv3", 32));
  CHECK(f("sep_conv5", 32) < f("conv5", 32));
  CHECK(f("local_attention_w16", 64) > f("local_attention_w8", 64));
  CHECK(f("identity", 32) == 0);
  CHECK(f("ffn", 32) == Approx(2.0 * 32 * 64 * 256 * 2));
}

TEST_CASE("ops: the table lists every kind's names and syntax once", "[ops]") {
  std::set<std::string> names(op_names().begin(), op_names().end());
  CHECK(names.size() == op_names().size());
  for (const OpKind& k : op_kinds()) {
    INFO(k.name);
    CHECK(find_op_kind(k.name) == &k);
    CHECK(op_syntax().find(k.syntax) != std::string::npos);
    bool listed = false;
    for (const auto& n : op_names()) listed |= parse_op(n)->kind == &k;
    CHECK(listed);
  }
  CHECK(find_op_kind("conv5") == nullptr);
}

TEST_CASE("ops: exactly the sequence ops have a causal_ form", "[ops]") {
  for (const auto& n : op_names()) {
    auto op = parse_op(n);
    REQUIRE(op);
    if (op->causal) continue;
    INFO(n);
    CHECK(parse_op("causal_" + n).has_value() == op->is_sequence_op());
  }
}
