#include "space/cell_graph.h"

#include <algorithm>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <map>

#include "common/error.h"
#include "common/rng.h"
#include "space/ops.h"

namespace mctsnas {
namespace {

struct NonZeroEdge {
  const CellGraph* g = nullptr;
  template <class E>
  bool operator()(const E& e) const { return (*g)[e].op != kZeroOp; }
};

std::vector<bool> reached(const auto& graph, std::vector<int> sources, size_t n) {
  std::vector<boost::default_color_type> colour(n, boost::white_color);
  std::vector<bool> seen(n, false);
  auto cmap = boost::make_iterator_property_map(colour.begin(), boost::get(boost::vertex_index, graph));
  for (int s : sources) {
    if (colour[static_cast<size_t>(s)] != boost::white_color) continue;
    boost::breadth_first_visit(graph, static_cast<size_t>(s), boost::visitor(boost::default_bfs_visitor()).color_map(cmap));
  }
  for (size_t v = 0; v < n; ++v) seen[v] = colour[v] != boost::white_color;
  return seen;
}

uint64_t hash_str(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::string node_name(int node) {
  if (node == 0) return "prev";
  if (node == 1) return "prev2";
  return "n" + std::to_string(node - 2);
}

// The live part of a cell, renumbered: vertex 0 = prev, 1 = prev2, 2.. = live
// intermediate nodes in their original order.
struct LiveGraph {
  struct Edge { uint64_t op; int other; std::string_view op_name; };
  int n = 2;                               // vertices
  std::vector<std::vector<Edge>> in, out;  // non-zero edges between live vertices
  std::vector<bool> output;
};

LiveGraph live_graph(const Cell& cell) {
  CellLiveness lv = cell_liveness(cell);
  const int nodes = static_cast<int>(cell.nodes.size());
  std::vector<int> id(static_cast<size_t>(nodes) + 2, -1);
  id[0] = 0;
  id[1] = 1;
  LiveGraph g;
  for (int k = 0; k < nodes; ++k)
    if (lv.live[static_cast<size_t>(k) + 2]) id[static_cast<size_t>(k) + 2] = g.n++;
  g.in.resize(static_cast<size_t>(g.n));
  g.out.resize(static_cast<size_t>(g.n));
  g.output.assign(static_cast<size_t>(g.n), false);
  for (int k = 0; k < nodes; ++k) {
    int to = id[static_cast<size_t>(k) + 2];
    if (to < 0) continue;
    g.output[static_cast<size_t>(to)] = lv.output[static_cast<size_t>(k) + 2];
    for (const auto& e : cell.nodes[static_cast<size_t>(k)].inputs) {
      int from = id[static_cast<size_t>(e.from)];
      if (e.op == kZeroOp || from < 0) continue;
      uint64_t oh = hash_str(e.op);
      g.in[static_cast<size_t>(to)].push_back({oh, from, e.op});
      g.out[static_cast<size_t>(from)].push_back({oh, to, e.op});
    }
  }
  return g;
}

constexpr uint64_t kPrevColour = 0x1111, kPrev2Colour = 0x2222;

// Colour refinement until the partition stops splitting. Colours of prev/prev2
// stay fixed: they are not renumbered.
void refine(const LiveGraph& g, std::vector<uint64_t>& colour) {
  auto classes = [&] {
    std::vector<uint64_t> c(colour.begin() + 2, colour.end());
    std::sort(c.begin(), c.end());
    return std::unique(c.begin(), c.end()) - c.begin();
  };
  auto count = classes();
  std::vector<uint64_t> next(colour.size()), tmp;
  for (int round = 0; round < g.n; ++round) {
    next[0] = colour[0];
    next[1] = colour[1];
    for (int v = 2; v < g.n; ++v) {
      uint64_t h = hash_combine(colour[static_cast<size_t>(v)], g.output[static_cast<size_t>(v)]);
      tmp.clear();
      for (const auto& e : g.in[static_cast<size_t>(v)]) tmp.push_back(hash_combine(e.op, colour[static_cast<size_t>(e.other)]));
      std::sort(tmp.begin(), tmp.end());
      for (uint64_t t : tmp) h = hash_combine(h, t);
      h = hash_combine(h, 0xfeed);
      tmp.clear();
      for (const auto& e : g.out[static_cast<size_t>(v)]) tmp.push_back(hash_combine(e.op, colour[static_cast<size_t>(e.other)]));
      std::sort(tmp.begin(), tmp.end());
      for (uint64_t t : tmp) h = hash_combine(h, t);
      next[static_cast<size_t>(v)] = h;
    }
    colour.swap(next);
    auto c = classes();
    if (c == count) break;
    count = c;
  }
}

// The graph written with intermediate vertices numbered by ascending colour
// (colours must be distinct).
std::string encode(const LiveGraph& g, const std::vector<uint64_t>& colour) {
  std::vector<int> order;
  for (int v = 2; v < g.n; ++v) order.push_back(v);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return colour[static_cast<size_t>(a)] < colour[static_cast<size_t>(b)]; });
  std::vector<int> label(static_cast<size_t>(g.n));
  label[0] = 0;
  label[1] = 1;
  for (size_t i = 0; i < order.size(); ++i) label[static_cast<size_t>(order[i])] = static_cast<int>(i) + 2;
  std::string s;
  std::vector<std::string> edges;
  std::vector<int> outs;
  for (int v : order) {
    edges.clear();
    for (const auto& e : g.in[static_cast<size_t>(v)])
      edges.push_back(std::string(e.op_name) + "(" + node_name(label[static_cast<size_t>(e.other)]) + ")");
    std::sort(edges.begin(), edges.end());
    s += node_name(label[static_cast<size_t>(v)]) + "=";
    for (size_t i = 0; i < edges.size(); ++i) s += (i ? "+" : "") + edges[i];
    s += ";";
    if (g.output[static_cast<size_t>(v)]) outs.push_back(label[static_cast<size_t>(v)]);
  }
  std::sort(outs.begin(), outs.end());
  s += "out=";
  for (size_t i = 0; i < outs.size(); ++i) s += (i ? "," : "") + node_name(outs[i]);
  return s;
}

// Twins (same labelled in- and out-neighbourhoods, same output flag) can be
// swapped by an automorphism, so individualising one of them is enough.
std::string twin_signature(const LiveGraph& g, int v) {
  std::vector<std::pair<uint64_t, int>> in, out;
  for (const auto& e : g.in[static_cast<size_t>(v)]) in.emplace_back(e.op, e.other);
  for (const auto& e : g.out[static_cast<size_t>(v)]) out.emplace_back(e.op, e.other);
  std::sort(in.begin(), in.end());
  std::sort(out.begin(), out.end());
  std::string s(g.output[static_cast<size_t>(v)] ? "o" : "-");
  for (auto [o, x] : in) s += std::to_string(o) + ":" + std::to_string(x) + ",";
  s += "|";
  for (auto [o, x] : out) s += std::to_string(o) + ":" + std::to_string(x) + ",";
  return s;
}

void search(const LiveGraph& g, std::vector<uint64_t> colour, std::string& best, bool& have) {
  refine(g, colour);
  // The class to split: the smallest colour shared by several vertices (an
  // isomorphism-invariant choice).
  std::map<uint64_t, std::vector<int>> classes;
  for (int v = 2; v < g.n; ++v) classes[colour[static_cast<size_t>(v)]].push_back(v);
  const std::vector<int>* cls = nullptr;
  for (const auto& [c, members] : classes)
    if (members.size() > 1) {
      cls = &members;
      break;
    }
  if (!cls) {
    std::string s = encode(g, colour);
    if (!have || s < best) best = std::move(s);
    have = true;
    return;
  }
  std::vector<std::string> tried;
  for (int v : *cls) {
    std::string sig = twin_signature(g, v);
    if (std::find(tried.begin(), tried.end(), sig) != tried.end()) continue;
    tried.push_back(std::move(sig));
    auto c = colour;
    c[static_cast<size_t>(v)] = hash_combine(c[static_cast<size_t>(v)], 0x5eed5eedULL);
    search(g, std::move(c), best, have);
  }
}

}  // namespace

CellGraph make_cell_graph(const Cell& cell) {
  const int nodes = static_cast<int>(cell.nodes.size());
  CellGraph g(static_cast<size_t>(nodes) + 3);
  for (int v = 0; v < nodes + 2; ++v) g[static_cast<size_t>(v)].node = v;
  const size_t out = static_cast<size_t>(nodes) + 2;
  g[out].node = -1;
  std::vector<bool> consumed(static_cast<size_t>(nodes) + 2, false);
  for (int k = 0; k < nodes; ++k) {
    const auto& inputs = cell.nodes[static_cast<size_t>(k)].inputs;
    for (size_t s = 0; s < inputs.size(); ++s) {
      int from = inputs[s].from;
      MCTSNAS_CHECK(from >= 0 && from < k + 2, "cell edge into node " + std::to_string(k) +
                                                   " comes from a later node " + std::to_string(from));
      boost::add_edge(static_cast<size_t>(from), static_cast<size_t>(k) + 2,
                      CellEdgeProps{inputs[s].op, static_cast<int>(s)}, g);
      consumed[static_cast<size_t>(from)] = true;
    }
  }
  for (int k = 0; k < nodes; ++k)
    if (!consumed[static_cast<size_t>(k) + 2]) boost::add_edge(static_cast<size_t>(k) + 2, out, CellEdgeProps{}, g);
  return g;
}

CellLiveness cell_liveness(const Cell& cell) {
  CellGraph g = make_cell_graph(cell);
  const size_t n = boost::num_vertices(g);
  const int out = cell_output_vertex(cell);
  CellLiveness lv;
  lv.output.assign(n, false);
  for (auto [e, end] = boost::in_edges(static_cast<size_t>(out), g); e != end; ++e)
    lv.output[boost::source(*e, g)] = true;
  boost::filtered_graph<CellGraph, NonZeroEdge> nz(g, NonZeroEdge{&g});
  auto from_inputs = reached(nz, {0, 1}, n);
  auto to_output = reached(boost::make_reverse_graph(nz), {out}, n);
  lv.live.assign(n, false);
  for (size_t v = 0; v < n; ++v) lv.live[v] = from_inputs[v] && to_output[v];
  lv.live[static_cast<size_t>(out)] = true;
  lv.live[0] = lv.live[1] = true;  // the inputs are part of every cell's signature
  return lv;
}

std::string canonical_cell_form(const Cell& cell) {
  LiveGraph g = live_graph(cell);
  std::vector<uint64_t> colour(static_cast<size_t>(g.n), 1);
  colour[0] = kPrevColour;
  colour[1] = kPrev2Colour;
  std::string best;
  bool have = false;
  search(g, std::move(colour), best, have);
  return cell.combine + ":" + best;
}

std::string dot_quote(std::string_view s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

void write_cell_dot(std::ostream& os, const Cell& cell, std::string_view id_prefix, std::string_view title) {
  CellGraph g = make_cell_graph(cell);
  CellLiveness lv = cell_liveness(cell);
  const std::string pre(id_prefix);
  auto id = [&](size_t v) {
    int node = g[v].node;
    return dot_quote(pre + (node < 0 ? std::string("out") : node_name(node)));
  };
  os << "    label=" << dot_quote(title) << ";\n";
  for (size_t v = 0; v < boost::num_vertices(g); ++v) {
    int node = g[v].node;
    os << "    " << id(v) << " [label=";
    if (node < 0) os << dot_quote("out (" + cell.combine + ")") << ", shape=box, style=bold";
    else if (node < 2) os << dot_quote(node_name(node)) << ", shape=box";
    else os << dot_quote(node_name(node)) << ", shape=ellipse" << (lv.live[v] ? "" : ", style=dashed, color=grey");
    os << "];\n";
  }
  for (auto [e, end] = boost::edges(g); e != end; ++e) {
    size_t s = boost::source(*e, g), t = boost::target(*e, g);
    const auto& p = g[*e];
    os << "    " << id(s) << " -> " << id(t);
    if (!p.op.empty()) {
      os << " [label=" << dot_quote(p.op);
      if (p.op == kZeroOp || !lv.live[s] || !lv.live[t]) os << ", style=dashed, color=grey, fontcolor=grey";
      os << "]";
    }
    os << ";\n";
  }
}

}  // namespace mctsnas
