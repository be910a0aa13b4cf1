#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include "common/error.h"
#include "space/arch_io.h"
#include "space/cell_space.h"
#include "space/nb201_space.h"
#include "test_util.h"

using namespace mctsnas;
using Catch::Matchers::Contains;

namespace {


CellSpaceOptions lm() {
  CellSpaceOptions o;
  o.model = ModelKind::decoder_only;
  o.decoder = {3, {"causal_conv3", "causal_local_attention_w16", "glu", "zero"}, CellCombine::concat};
  o.macro = {{128}, {}, {2, 4}};
  return o;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

bool have_dot() { return std::system("dot -V > /dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("arch_io: YAML and JSON round-trip exactly for random architectures", "[arch_io]") {
  CellSpace s2s(test::seq2seq_cell_options()), dec(lm());
  Nb201Space nb;
  Rng rng(17);
  for (const SearchSpace* s : std::initializer_list<const SearchSpace*>{&s2s, &dec, &nb})
    for (int t = 0; t < 150; ++t) {
      Architecture a = s->random(rng);
      for (ArchForm f : {ArchForm::structured, ArchForm::generic}) {
        std::string y = arch_to_yaml(*s, a, f);
        REQUIRE(arch_from_yaml(*s, y, "t.yaml") == a);
        REQUIRE(arch_to_yaml(*s, arch_from_yaml(*s, y, "t.yaml"), f) == y);
        nlohmann::json j = arch_to_json(*s, a, f);
        REQUIRE(arch_from_json(*s, j, "t.json") == a);
        REQUIRE(arch_from_json_text(*s, j.dump(2), "t.json") == a);
      }
      REQUIRE(s->parse_key(to_line(*s, a)) == a);
    }
}

TEST_CASE("arch_io: the structured form reads as written by hand", "[arch_io]") {
  CellSpace s(lm());
  const char* text = R"(space: cells
model: decoder_only
d_model: 128
decoder_layers: 4
decoder:
  combine: concat
  nodes:
    - inputs: [{from: prev, op: causal_conv3}, {from: prev2, op: glu}]
    - inputs: [{from: n0, op: causal_local_attention_w16_h4}]
    - inputs: [{from: n1, op: glu}, {from: n0, op: zero}]
)";
  Architecture a = arch_from_yaml(s, text, "hand.yaml");
  CellArchitecture c = s.decode(a);
  CHECK(c.decoder_layers == 4);
  REQUIRE(c.decoder.nodes.size() == 3);
  CHECK(c.decoder.nodes[1].inputs[0].op == "causal_local_attention_w16");  // canonical name
  CHECK(c.decoder.nodes[2].inputs[1].from == 2);
  CHECK(to_line(s, a) ==
        "d_model=128|decoder_layers=4|decoder=causal_conv3(prev)+glu(prev2);causal_local_attention_w16(n0);"
        "glu(n1)+zero(n0)");
}

TEST_CASE("arch_io: malformed files name the node or edge at fault", "[arch_io]") {
  CellSpace s(lm());
  const std::string good = R"(space: cells
model: decoder_only
d_model: 128
decoder_layers: 4
decoder:
  combine: concat
  nodes:
    - inputs: [{from: prev, op: causal_conv3}]
    - inputs: [{from: n0, op: glu}]
    - inputs: [{from: n1, op: glu}]
)";
  REQUIRE_NOTHROW(arch_from_yaml(s, good, "a.yaml"));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    size_t p = t.find(from);
    REQUIRE(p != std::string::npos);
    t.replace(p, from.size(), to);
    return error_of([&] { arch_from_yaml(s, t, "a.yaml"); });
  };
  CHECK_THAT(with("op: glu}]\n    - inputs: [{from: n1", "op: gelu}]\n    - inputs: [{from: n1"),
             Contains("a.yaml:9: decoder.nodes[1].inputs[0].op") && Contains("'gelu'") && Contains("did you mean 'glu'"));
  CHECK_THAT(with("from: n1", "from: n2"),
             Contains("a.yaml:10: decoder.nodes[2].inputs[0].from") && Contains("not an earlier node"));
  CHECK_THAT(with("from: n1", "from: node1"), Contains("decoder.nodes[2].inputs[0].from"));
  CHECK_THAT(with("{from: n0, op: glu}", "{from: n0, op: glu, scale: 2}"),
             Contains("decoder.nodes[1].inputs[0].scale") && Contains("unknown key"));
  CHECK_THAT(with("{from: n0, op: glu}", "{from: n0}"), Contains("decoder.nodes[1].inputs[0].op: missing"));
  CHECK_THAT(with("[{from: n0, op: glu}]", "[]"), Contains("decoder.nodes[1].inputs") && Contains("1 or 2"));
  CHECK_THAT(with("{from: prev, op: causal_conv3}", "{from: prev, op: zero}"),
             Contains("decoder.nodes[0]") && Contains("zero"));
  CHECK_THAT(with("d_model: 128", "d_model: 96"), Contains("d_model") && Contains("128"));
  CHECK_THAT(with("d_model: 128", "d_model: big"), Contains("a.yaml:3: d_model") && Contains("integer"));
  CHECK_THAT(with("decoder_layers: 4\n", ""), Contains("decoder_layers: missing"));
  CHECK_THAT(with("space: cells", "space: nb201"), Contains("a.yaml:1: space") && Contains("cells"));
  CHECK_THAT(with("model: decoder_only", "model: encoder_decoder"), Contains("model"));
  CHECK_THAT(with("combine: concat", "combine: sum"), Contains("decoder.combine"));
  CHECK_THAT(with("    - inputs: [{from: n1, op: glu}]\n", ""), Contains("decoder.nodes") && Contains("2 nodes"));
  CHECK_THAT(with("nodes:", "nodez:"), Contains("decoder.nodez") && Contains("did you mean 'nodes'"));
  CHECK_THAT(with("d_model: 128", "d_model: [128"), Contains("a.yaml:") && Contains("not valid YAML"));

  // JSON: same paths (no line numbers), and syntax errors.
  nlohmann::json j = arch_to_json(s, arch_from_yaml(s, good, "a.yaml"));
  j["decoder"]["nodes"][2]["inputs"][0]["op"] = "conv3";
  CHECK_THAT(error_of([&] { arch_from_json(s, j, "a.json"); }),
             Contains("a.json: decoder.nodes[2].inputs[0].op") && Contains("'conv3'"));
  CHECK_THAT(error_of([&] { arch_from_json_text(s, "{\"space\": \"cells\",", "a.json"); }),
             Contains("a.json: not valid JSON"));

  // Generic form.
  Nb201Space nb;
  CHECK_THAT(error_of([&] { arch_from_yaml(nb, "space: nb201\nchoices: {edge_1_0: none}\n", "g.yaml"); }),
             Contains("choices.edge_2_0: missing"));
  CHECK_THAT(error_of([&] {
               arch_from_yaml(nb, "space: nb201\nchoices: {edge_1_0: conv, edge_9_9: none}\n", "g.yaml");
             }),
             Contains("g.yaml:2: choices.edge_9_9") && Contains("not a decision"));
  std::string gy = arch_to_yaml(s, s.random(*std::make_unique<Rng>(3)), ArchForm::generic);
  size_t p = gy.find("decoder.node2.in0: \"");
  REQUIRE(p != std::string::npos);
  gy.replace(gy.find('"', p) + 1, 2, "n7");
  CHECK_THAT(error_of([&] { arch_from_yaml(s, gy, "g.yaml"); }), Contains("choices.decoder.node2.in0"));
}

TEST_CASE("arch_io: a cell architecture file loads from disk by extension", "[arch_io]") {
  CellSpace s(test::seq2seq_cell_options());
  Rng rng(8);
  Architecture a = s.random(rng);
  auto dir = std::filesystem::temp_directory_path() / ("mctsnas_arch_io_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "a.yaml") << arch_to_yaml(s, a);
    std::ofstream(dir / "a.json") << arch_to_json(s, a).dump(2);
  }
  CHECK(load_architecture(s, dir / "a.yaml") == a);
  CHECK(load_architecture(s, dir / "a.json") == a);
  CHECK_THAT(error_of([&] { load_architecture(s, dir / "missing.yaml"); }), Contains("missing.yaml"));
  test::remove_tree(dir);
}

TEST_CASE("arch_io: DOT output has ops as edge labels and parses with Graphviz", "[arch_io]") {
  CellSpace s2s(test::seq2seq_cell_options()), dec(lm());
  Nb201Space nb;
  Rng rng(4);
  Architecture a = s2s.random(rng);
  std::string dot = to_dot(s2s, a);
  CellArchitecture c = s2s.decode(a);
  CHECK_THAT(dot, Contains("subgraph cluster_encoder") && Contains("subgraph cluster_decoder"));
  CHECK_THAT(dot, Contains("[label=\"" + c.encoder.nodes[0].inputs[0].op + "\""));
  CHECK_THAT(dot, Contains("\"dec_n3\" -> \"dec_out\""));  // the last node always feeds the output
  // The caption explains the cell inputs; the encoder output feeds each node with a
  // cross_attention input, and only those.
  CHECK_THAT(dot, Contains("prev: the layer's input") && Contains("prev2: the previous layer's input"));
  CHECK_THAT(dot, Contains("\"enc_out\" -> memory"));
  for (size_t k = 0; k < c.decoder.nodes.size(); ++k) {
    bool cross = false;
    for (const auto& e : c.decoder.nodes[k].inputs) cross |= e.op.rfind("cross_attention", 0) == 0;
    INFO("decoder node " << k);
    CHECK((dot.find("memory -> \"dec_n" + std::to_string(k) + "\"") != std::string::npos) == cross);
  }
  CHECK_THAT(to_dot(dec, dec.random(rng)), !Contains("memory"));   // no encoder, no memory
  if (!have_dot()) {
    WARN("Graphviz `dot` is not installed: skipping the check that DOT output parses");
    return;
  }
  auto dir = std::filesystem::temp_directory_path() / ("mctsnas_dot_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  int i = 0;
  for (const SearchSpace* s : std::initializer_list<const SearchSpace*>{&s2s, &dec, &nb})
    for (int t = 0; t < 3; ++t) {
      auto f = dir / ("g" + std::to_string(i++) + ".dot");
      std::ofstream(f) << to_dot(*s, s->random(rng));
      std::string cmd = "dot -Tsvg " + f.string() + " -o " + f.string() + ".svg 2> " + f.string() + ".err";
      INFO(to_dot(*s, s->random(rng)));
      REQUIRE(std::system(cmd.c_str()) == 0);
      REQUIRE(std::filesystem::file_size(f.string() + ".err") == 0);
      REQUIRE(std::filesystem::file_size(f.string() + ".svg") > 100);
    }
  test::remove_tree(dir);
}
