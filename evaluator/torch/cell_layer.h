#pragma once
// One layer of a searched model: a cell (space/cell_architecture.h) assembled from
// op modules, and the reference Transformer layer it is compared against.
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "evaluator/torch/op_modules.h"
#include "space/cell_architecture.h"

namespace mctsnas::torchnas {

// Pre-norm residual cell: out = h0 + combine(nodes), where node 0 = norm(h0) (the
// previous layer), node 1 = norm(h1) (the one before), node 2+k = sum of its input
// edges' ops, and combine merges the nodes no other node consumes.
class CellLayerImpl : public torch::nn::Module {
 public:
  // units: the pruned widths of this layer's ops, keyed by "node<k>_in<i>" (the
  // module's name); Error when one names no op that can take it.
  CellLayerImpl(const Cell& cell, int64_t d_model, bool in_decoder, bool has_memory,
                const std::map<std::string, int>& units = {});
  torch::Tensor forward(const torch::Tensor& h0, const torch::Tensor& h1, const OpContext& ctx);
  // Forward FLOPs for query length t and memory length s.
  double flops(int64_t t, int64_t s) const;

 private:
  struct Edge {
    int from;
    OpSpec spec;
    std::shared_ptr<OpModuleImpl> op;   // null for zero (make_op): it adds nothing, so it is skipped
  };
  int64_t d_model_;
  std::vector<std::vector<Edge>> nodes_;
  std::vector<int> outputs_;            // node indices (2 + k) the combine reads
  bool concat_;
  torch::nn::LayerNorm norm0_{nullptr}, norm1_{nullptr};
  Dense combine_{nullptr};  // concat only
};
TORCH_MODULE(CellLayer);

// Standard pre-norm Transformer layer: full self-attention (causal in a decoder),
// cross-attention when it has an encoder, FFN.
class TransformerLayerImpl : public torch::nn::Module {
 public:
  TransformerLayerImpl(int64_t d_model, int heads, bool in_decoder, bool has_memory);
  torch::Tensor forward(const torch::Tensor& x, const OpContext& ctx);
  double flops(int64_t t, int64_t s) const;

 private:
  int64_t d_model_;
  OpSpec self_spec_, cross_spec_, ffn_spec_;
  bool has_cross_;
  torch::nn::LayerNorm ln_self_{nullptr}, ln_cross_{nullptr}, ln_ffn_{nullptr};
  AttentionOp self_{nullptr}, cross_{nullptr};
  FfnOp ffn_{nullptr};
};
TORCH_MODULE(TransformerLayer);

}  // namespace mctsnas::torchnas
