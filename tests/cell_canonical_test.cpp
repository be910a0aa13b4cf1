#include <catch2/catch.hpp>
#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <set>

#include "space/cell_graph.h"
#include "space/cell_space.h"

using namespace mctsnas;

namespace {

CellSpaceOptions options(int nodes) {
  CellSpaceOptions o;
  o.model = ModelKind::encoder_decoder;
  o.encoder = {nodes, {"conv3", "conv5", "local_attention_w8", "glu", "identity", "zero"}, CellCombine::sum};
  o.decoder = {nodes, {"causal_conv3", "cross_attention", "glu", "identity", "zero"}, CellCombine::concat};
  o.macro = {{64, 128}, {1, 2}, {1, 2}};
  return o;
}

// Renumbers the intermediate nodes of a cell by a random order that keeps every
// edge pointing forward (a random topological order), and shuffles the two
// inputs of each node.
Cell permute(const Cell& c, Rng& rng) {
  const int n = static_cast<int>(c.nodes.size());
  std::vector<int> indeg(static_cast<size_t>(n), 0), order;
  std::vector<std::vector<int>> succ(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k)
    for (const auto& e : c.nodes[static_cast<size_t>(k)].inputs)
      if (e.from >= 2) {
        ++indeg[static_cast<size_t>(k)];
        succ[static_cast<size_t>(e.from - 2)].push_back(k);
      }
  std::vector<int> ready;
  for (int k = 0; k < n; ++k)
    if (indeg[static_cast<size_t>(k)] == 0) ready.push_back(k);
  while (!ready.empty()) {
    size_t i = rng.below(ready.size());
    int k = ready[i];
    ready.erase(ready.begin() + static_cast<long>(i));
    order.push_back(k);
    for (int s : succ[static_cast<size_t>(k)])
      if (--indeg[static_cast<size_t>(s)] == 0) ready.push_back(s);
  }
  REQUIRE(static_cast<int>(order.size()) == n);
  std::vector<int> newpos(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) newpos[static_cast<size_t>(order[static_cast<size_t>(i)])] = i;
  Cell out;
  out.combine = c.combine;
  out.nodes.resize(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) {
    CellNode node = c.nodes[static_cast<size_t>(k)];
    for (auto& e : node.inputs)
      if (e.from >= 2) e.from = newpos[static_cast<size_t>(e.from - 2)] + 2;
    if (node.inputs.size() == 2 && rng.below(2)) std::swap(node.inputs[0], node.inputs[1]);
    out.nodes[static_cast<size_t>(newpos[static_cast<size_t>(k)])] = node;
  }
  return out;
}

// Reference canonical form by brute force: live nodes after removing zero edges
// (computed independently here), then the minimum encoding over all orderings of
// the live nodes.
std::string brute_form(const Cell& c) {
  const int n = static_cast<int>(c.nodes.size());
  std::vector<bool> consumed(static_cast<size_t>(n) + 2, false), from_in(static_cast<size_t>(n) + 2, false),
      to_out(static_cast<size_t>(n) + 2, false);
  from_in[0] = from_in[1] = true;
  for (int k = 0; k < n; ++k)
    for (const auto& e : c.nodes[static_cast<size_t>(k)].inputs) {
      consumed[static_cast<size_t>(e.from)] = true;
      if (e.op != "zero" && from_in[static_cast<size_t>(e.from)]) from_in[static_cast<size_t>(k) + 2] = true;
    }
  for (int k = n - 1; k >= 0; --k) {
    size_t v = static_cast<size_t>(k) + 2;
    if (!consumed[v]) to_out[v] = true;
    if (to_out[v])
      for (const auto& e : c.nodes[static_cast<size_t>(k)].inputs)
        if (e.op != "zero") to_out[static_cast<size_t>(e.from)] = true;
  }
  std::vector<int> live;
  for (int k = 0; k < n; ++k)
    if (from_in[static_cast<size_t>(k) + 2] && to_out[static_cast<size_t>(k) + 2]) live.push_back(k);
  std::vector<int> perm(live.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::string best;
  bool have = false;
  do {
    std::map<int, int> label;  // original node -> position
    for (size_t i = 0; i < live.size(); ++i) label[live[static_cast<size_t>(perm[i])] + 2] = static_cast<int>(i);
    std::vector<std::string> nodes(live.size());
    std::vector<int> outs;
    for (int k : live) {
      std::vector<std::string> es;
      for (const auto& e : c.nodes[static_cast<size_t>(k)].inputs) {
        if (e.op == "zero") continue;
        std::string from = e.from < 2 ? (e.from == 0 ? "P" : "Q") : std::to_string(label.at(e.from));
        es.push_back(e.op + "<" + from);
      }
      std::sort(es.begin(), es.end());
      std::string s;
      for (const auto& x : es) s += x + ",";
      nodes[static_cast<size_t>(label.at(k + 2))] = s;
      if (!consumed[static_cast<size_t>(k) + 2]) outs.push_back(label.at(k + 2));
    }
    std::sort(outs.begin(), outs.end());
    std::string s = c.combine + "|";
    for (const auto& x : nodes) s += x + ";";
    for (int o : outs) s += std::to_string(o) + ",";
    if (!have || s < best) best = s;
    have = true;
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

}  // namespace

TEST_CASE("canonical: invariant under renumbering of intermediate nodes", "[canonical]") {
  CellSpace s(options(6));
  Rng rng(99);
  for (int t = 0; t < 2000; ++t) {
    Architecture a = s.random(rng);
    CellArchitecture c = s.decode(a);
    CellArchitecture p = c;
    p.encoder = permute(c.encoder, rng);
    p.decoder = permute(c.decoder, rng);
    Architecture b = s.encode(p);
    REQUIRE(s.canonical_hash(a) == s.canonical_hash(b));
    REQUIRE(s.canonical_string(a) == s.canonical_string(b));
  }
}

TEST_CASE("canonical: dead nodes and zero edges do not count", "[canonical]") {
  CellSpaceOptions o = options(3);
  CellSpace s(o);
  CellArchitecture c;
  c.d_model = 64;
  c.encoder_layers = c.decoder_layers = 1;
  c.encoder.combine = "sum";
  c.decoder.combine = "concat";
  c.decoder.nodes = {{{{0, "cross_attention"}}}, {{{1, "glu"}}}, {{{2, "causal_conv3"}, {3, "glu"}}}};
  // Encoder: n0 = conv3(prev); n1 = glu(n0); n2 = conv5(prev2)
  c.encoder.nodes = {{{{0, "conv3"}}}, {{{2, "glu"}}}, {{{1, "conv5"}}}};
  const uint64_t base = s.canonical_hash(s.encode(c));

  // A zero edge added to a node changes nothing...
  auto z = c;
  z.encoder.nodes[2].inputs.push_back({2, "zero"});  // n2 = conv5(prev2) + zero(n0): n0 still consumed by n1
  CHECK(s.canonical_hash(s.encode(z)) == base);
  // ... and a node that only a zero edge consumes is dead.
  auto d = c;
  d.encoder.nodes = {{{{0, "local_attention_w8"}}}, {{{0, "conv3"}}}, {{{3, "glu"}, {2, "zero"}}}};
  auto d2 = c;
  d2.encoder.nodes = {{{{0, "conv3"}}}, {{{2, "glu"}}}, {{{1, "identity"}}}};
  d2.encoder.nodes = {{{{0, "conv3"}}}, {{{2, "glu"}}}, {{{3, "zero"}, {0, "identity"}}}};
  // d: n0 dead (consumed only through zero), outputs {n2 = glu(conv3(prev))}
  // d2: n1 consumed only through zero -> dead, outputs {n2 = identity(prev)}: differs from d
  CHECK(s.canonical_hash(s.encode(d)) != s.canonical_hash(s.encode(d2)));
  auto d3 = c;
  d3.encoder.nodes = {{{{0, "conv5"}}}, {{{0, "conv3"}}}, {{{3, "glu"}, {2, "zero"}}}};
  CHECK(s.canonical_hash(s.encode(d)) == s.canonical_hash(s.encode(d3)));  // only the dead node's op differs
  auto d4 = d3;
  d4.encoder.nodes[2].inputs[1].op = "identity";  // revives n0
  CHECK(s.canonical_hash(s.encode(d4)) != s.canonical_hash(s.encode(d3)));
}

TEST_CASE("canonical: distinct where the function differs", "[canonical]") {
  CellSpace s(options(5));
  Rng rng(2024);
  int checked = 0;
  for (int t = 0; t < 2000; ++t) {
    Architecture a = s.random(rng);
    CellArchitecture c = s.decode(a);
    // Change the op of one live, non-zero encoder edge to another non-zero op: the
    // multiset of live edge labels changes, so no isomorphism can undo it.
    CellLiveness lv = cell_liveness(c.encoder);
    int k = static_cast<int>(rng.below(c.encoder.nodes.size()));
    auto& e = c.encoder.nodes[static_cast<size_t>(k)].inputs[0];
    if (!lv.live[static_cast<size_t>(k) + 2] || !lv.live[static_cast<size_t>(e.from)] || e.op == "zero") continue;
    const auto& ops = s.ops(CellRole::encoder);
    std::string next = ops[rng.below(ops.size())].name;
    if (next == e.op || next == "zero") continue;
    e.op = next;
    Architecture b = s.encode(c);
    REQUIRE(s.canonical_hash(a) != s.canonical_hash(b));
    ++checked;
  }
  CHECK(checked > 300);

  // Same tree unfolding, different sharing: colour refinement alone cannot tell
  // these apart; the exact labelling must.
  CellArchitecture x;
  x.d_model = 64;
  x.encoder_layers = x.decoder_layers = 1;
  x.encoder.combine = "sum";
  x.decoder.combine = "concat";
  x.decoder.nodes = {{{{0, "cross_attention"}}}, {{{1, "glu"}}}, {{{2, "causal_conv3"}}}, {{{3, "glu"}}},
                     {{{4, "glu"}}}};
  auto y = x;
  x.encoder.nodes = {{{{0, "conv3"}}}, {{{0, "conv3"}}}, {{{2, "glu"}, {3, "identity"}}}, {{{2, "glu"}, {3, "identity"}}},
                     {{{4, "conv5"}, {5, "conv5"}}}};
  y.encoder.nodes = {{{{0, "conv3"}}}, {{{0, "conv3"}}}, {{{2, "glu"}, {2, "identity"}}}, {{{3, "glu"}, {3, "identity"}}},
                     {{{4, "conv5"}, {5, "conv5"}}}};
  CellSpace s5(options(5));
  CHECK(s5.canonical_hash(s5.encode(x)) != s5.canonical_hash(s5.encode(y)));
}

TEST_CASE("canonical: classes equal brute-force isomorphism on small spaces", "[canonical]") {
  for (auto ops : {std::vector<std::string>{"glu", "identity"}, std::vector<std::string>{"glu", "zero"}}) {
    CellSpaceOptions o;
    o.model = ModelKind::decoder_only;
    o.decoder = {3, ops, CellCombine::sum};
    o.macro = {{64}, {}, {1}};
    CellSpace s(o);
    std::map<std::string, std::set<uint64_t>> by_brute;
    std::map<uint64_t, std::set<std::string>> by_hash;
    std::vector<Choice> prefix;
    std::vector<std::vector<Choice>> legal(static_cast<size_t>(s.num_decisions()));
    uint64_t n = 0;
    std::function<void()> rec = [&] {
      if (prefix.size() == legal.size()) {
        Architecture a{prefix};
        std::string b = brute_form(s.decode(a).decoder);
        uint64_t h = s.canonical_hash(a);
        by_brute[b].insert(h);
        by_hash[h].insert(b);
        ++n;
        return;
      }
      auto& l = legal[prefix.size()];
      s.legal_choices(prefix, l);
      for (Choice c : std::vector<Choice>(l)) {
        prefix.push_back(c);
        rec();
        prefix.pop_back();
      }
    };
    rec();
    SpaceSize size = s.size();
    REQUIRE(n == static_cast<uint64_t>(size.count));
    for (const auto& [form, hashes] : by_brute) REQUIRE(hashes.size() == 1);
    for (const auto& [h, forms] : by_hash) REQUIRE(forms.size() == 1);
    CHECK(by_brute.size() < n / 4);  // many duplicates up to isomorphism
    CHECK(size.distinct_canonical == static_cast<double>(by_brute.size()));
  }
}
