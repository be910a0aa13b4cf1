#pragma once
// A cell as a Boost.Graph adjacency_list: used for liveness (which nodes reach
// the cell output), canonicalisation and DOT output.
//
// Vertices: 0 = prev, 1 = prev2, 2 + k = intermediate node k (the numbering of
// CellArchitecture), then one `out` vertex. An edge j -> i carries the op applied
// to node j's output as one input of node i; every *output node* (an intermediate
// node that no edge consumes — a `zero` edge consumes too) has an unlabelled edge
// to `out`.
#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "space/cell_architecture.h"

namespace mctsnas {

struct CellVertexProps {
  int node = 0;  // CellArchitecture numbering; -1 for `out`
};
struct CellEdgeProps {
  std::string op;  // "" for the edges into `out`
  int slot = -1;   // which input of its target (0 or 1); -1 for edges into `out`
};
using CellGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                        CellVertexProps, CellEdgeProps>;

// Requires each edge to come from an earlier node (MCTSNAS_CHECK).
CellGraph make_cell_graph(const Cell& cell);
inline int cell_output_vertex(const Cell& cell) { return static_cast<int>(cell.nodes.size()) + 2; }

// Per vertex of make_cell_graph (out included):
//  output: an intermediate node the cell output combines;
//  live: it affects the cell output — reachable from prev/prev2 and reaching `out`
//        through non-zero edges. Dead nodes and zero edges compute nothing.
struct CellLiveness {
  std::vector<bool> output;
  std::vector<bool> live;
};
CellLiveness cell_liveness(const Cell& cell);

// Text equal for two cells iff they compute the same function up to renumbering
// of intermediate nodes, removal of dead nodes and removal of zero edges (the sum
// inside a node and the output combine are order-free). Not merged: an `identity`
// node is still a node. Exact canonical labelling: colour refinement, then
// individualisation over the remaining ties (twins pruned), minimum encoding.
std::string canonical_cell_form(const Cell& cell);

// DOT statements of one cell for a `subgraph cluster_...` block: vertex ids are
// prefixed with `id_prefix`; ops are edge labels; dead nodes and zero edges are
// drawn dashed and grey.
void write_cell_dot(std::ostream& os, const Cell& cell, std::string_view id_prefix,
                    std::string_view title);

// "..." with quotes and backslashes escaped, for DOT ids and labels.
std::string dot_quote(std::string_view s);

}  // namespace mctsnas
