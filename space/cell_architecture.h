#pragma once
// The structured form of an architecture of the `cells` space, decoded from its
// choice vector by CellSpace. This is what evaluator/torch builds a model from.
//
// Node numbering inside a cell: 0 = the previous layer's output, 1 = the output of
// the layer before that, 2 + k = intermediate node k. Node k takes one or two
// inputs from nodes < 2 + k, each through an op; the cell output combines every
// intermediate node no other node consumes.
#include <string>
#include <vector>

namespace mctsnas {

struct CellEdge {
  int from = 0;          // node index as above
  std::string op;        // op name, see space/ops.h
};

struct CellNode {
  std::vector<CellEdge> inputs;  // 1 or 2 edges; their results are summed
};

struct Cell {
  std::vector<CellNode> nodes;
  std::string combine = "sum";   // how the cell output merges its unconsumed nodes: sum | concat
};

struct CellArchitecture {
  std::string model = "encoder_decoder";  // encoder_decoder | decoder_only | encoder_only
  int d_model = 128;
  int encoder_layers = 0;
  int decoder_layers = 0;
  Cell encoder;   // empty for decoder_only
  Cell decoder;   // empty for encoder_only
};

}  // namespace mctsnas
