#pragma once
// The analytic cost model of the cells space: the parameter count and forward FLOPs of
// the model evaluator/torch builds for an architecture, from the op table's formulas
// (space/op_table.cpp) and the task's vocabularies and lengths. Exactly what the
// builder reports (SeqModel::num_parameters, SeqModel::flops): tests/torch_cost_test.cpp
// checks both on random architectures.
//
// Model layout counted here (evaluator/torch/seq_model.cpp, cell_layer.cpp):
//   encoder:  token + position embeddings, layers x cell, final LayerNorm
//   decoder:  token + position embeddings, layers x cell, final LayerNorm, Linear head
//   encoder_only: a Linear head to the classes
//   cell: two LayerNorms (its inputs), one op module per edge, and with combine
//         concat over more than one open node a Linear (nodes x d_model -> d_model)
#include <vector>

#include "space/cell_space.h"
#include "space/cost_model.h"

namespace mctsnas {

// What a model's cost depends on beyond its architecture: the task's vocabularies and
// lengths (evaluator/task_dims.h has them per task kind).
struct ModelDims {
  int64_t src_vocab = 0;     // encoder input tokens
  int64_t tgt_vocab = 0;     // decoder tokens (the head's outputs)
  int64_t num_classes = 0;   // encoder_only head
  int64_t max_len = 0;       // rows of each position embedding
  int64_t flop_src_len = 0;  // the source and target lengths one example's FLOPs are counted at
  int64_t flop_tgt_len = 0;
};

class CellCostModel final : public CostModel {
 public:
  CellCostModel(const CellSpace& space, const ModelDims& dims);
  bool knows(CostKind) const override { return true; }
  double lower_bound(CostKind k, std::span<const Choice> prefix) const override;
  // The exact cost of a complete legal architecture.
  double cost(CostKind k, std::span<const Choice> arch) const;

 private:
  // Per role, per d_model choice, per op: its cost, and the minima a completion uses.
  struct OpCosts {
    std::vector<double> of;   // by op index
    double min_nonzero = 0;   // cheapest op other than zero
    double min_any = 0;       // cheapest op, zero included
    double min_cross = 0;     // cheapest op that reads the encoder (when the cell needs one)
  };
  size_t cost_index(CostKind k, CellRole r, size_t d) const;   // into costs_
  // One layer of cell r, its decisions all in `a` (edges summed in the builder's order).
  double cell_cost(CostKind k, CellRole r, size_t d, std::span<const Choice> a) const;
  // A lower bound on one layer of cell r given the choices of `prefix` (any length).
  double cell_lower_bound(CostKind k, CellRole r, size_t d, std::span<const Choice> prefix) const;
  double combine_cost(CostKind k, CellRole r, int64_t d_model, int open) const;
  int least_open(CellRole r, std::span<const Choice> prefix) const;
  // The model's cost from its macro choices and its cells' (exact or bounded) costs.
  double total(CostKind k, std::span<const Choice> macro, double enc_cell, double dec_cell) const;
  double bound_with_macro(CostKind k, std::span<const Choice> prefix) const;

  const CellSpace& space_;
  ModelDims dims_;
  std::vector<OpCosts> costs_;   // [kind][role][d] flattened
};

}  // namespace mctsnas
