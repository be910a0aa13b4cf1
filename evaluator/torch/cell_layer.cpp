#include "evaluator/torch/cell_layer.h"

#include <string>

#include "common/error.h"

namespace mctsnas::torchnas {
namespace {

OpSpec op_spec(std::string_view kind, int heads, bool causal) {
  OpSpec spec;
  spec.name = std::string(kind);
  spec.kind = find_op_kind(kind);
  MCTSNAS_CHECK(spec.kind != nullptr, "the op table has no kind " + spec.name);
  spec.heads = heads;
  spec.causal = causal;
  return spec;
}

}  // namespace

CellLayerImpl::CellLayerImpl(const Cell& cell, int64_t d_model, bool in_decoder, bool has_memory,
                             const std::map<std::string, int>& units)
    : d_model_(d_model), concat_(cell.combine == "concat") {
  const char* where = in_decoder ? "decoder" : "encoder";
  if (cell.nodes.empty()) throw Error(std::string(where) + " cell has no nodes");
  if (cell.combine != "sum" && cell.combine != "concat")
    throw Error(std::string(where) + " cell combine '" + cell.combine + "': expected sum or concat");
  norm0_ = register_module("norm0", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  const int n = static_cast<int>(cell.nodes.size());
  std::vector<bool> consumed(static_cast<size_t>(n + 2), false);
  size_t used = 0;   // entries of `units` that name an edge
  for (int k = 0; k < n; ++k) {
    const auto& node = cell.nodes[static_cast<size_t>(k)];
    if (node.inputs.empty())
      throw Error(std::string(where) + " cell node " + std::to_string(k) + " has no input");
    std::vector<Edge> edges;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const auto& e = node.inputs[i];
      if (e.from < 0 || e.from >= 2 + k)
        throw Error(std::string(where) + " cell node " + std::to_string(k) + " reads node " +
                    std::to_string(e.from) + ": a node reads only nodes 0.." + std::to_string(1 + k));
      auto spec = parse_op(e.op);
      if (!spec) throw Error(std::string(where) + " cell: unknown op '" + e.op + "'");
      const std::string name = "node" + std::to_string(k) + "_in" + std::to_string(i);
      if (auto u = units.find(name); u != units.end()) {
        spec->units = u->second;
        ++used;
      }
      Edge edge{e.from, *spec, make_op(*spec, d_model, in_decoder, has_memory)};
      if (edge.op) register_module(name, edge.op);
      consumed[static_cast<size_t>(e.from)] = true;
      edges.push_back(std::move(edge));
    }
    nodes_.push_back(std::move(edges));
  }
  if (used != units.size())
    throw Error(std::string(where) +
                " cell: a pruned width names an op the cell does not have (ops are node<k>_in<i>)");
  for (int k = 0; k < n; ++k)
    if (!consumed[static_cast<size_t>(2 + k)]) outputs_.push_back(2 + k);
  if (concat_ && outputs_.size() > 1)
    combine_ = register_module("combine", Dense(d_model * static_cast<int64_t>(outputs_.size()), d_model));
}

torch::Tensor CellLayerImpl::forward(const torch::Tensor& h0, const torch::Tensor& h1, const OpContext& ctx) {
  std::vector<torch::Tensor> states;
  states.reserve(nodes_.size() + 2);
  states.push_back(norm0_(h0));
  states.push_back(norm1_(h1));
  for (const auto& edges : nodes_) {
    torch::Tensor sum;
    for (const auto& e : edges) {
      if (!e.op) continue;
      auto y = e.op->forward(states[static_cast<size_t>(e.from)], ctx);
      sum = sum.defined() ? sum + y : y;
    }
    states.push_back(sum.defined() ? sum : torch::zeros_like(states[0]));
  }
  torch::Tensor out;
  if (concat_ && combine_) {
    std::vector<torch::Tensor> parts;
    for (int i : outputs_) parts.push_back(states[static_cast<size_t>(i)]);
    out = combine_(torch::cat(parts, -1));
  } else {
    for (int i : outputs_) out = out.defined() ? out + states[static_cast<size_t>(i)] : states[static_cast<size_t>(i)];
  }
  return h0 + out;
}

double CellLayerImpl::flops(int64_t t, int64_t s) const {
  double f = 0;
  for (const auto& edges : nodes_)
    for (const auto& e : edges) f += op_flops(e.spec, d_model_, t, s);
  if (combine_) f += 2.0 * static_cast<double>(t) * static_cast<double>(outputs_.size()) * d_model_ * d_model_;
  return f;
}

TransformerLayerImpl::TransformerLayerImpl(int64_t d_model, int heads, bool in_decoder, bool has_memory)
    : d_model_(d_model), has_cross_(in_decoder && has_memory) {
  // Full attention (window 0), which no op name spells: the specs only count FLOPs.
  self_spec_ = op_spec("local_attention", heads, in_decoder);
  cross_spec_ = op_spec("cross_attention", heads, false);
  ffn_spec_ = op_spec("ffn", 0, false);
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})); };
  ln_self_ = register_module("ln_self", ln());
  self_ = register_module("self", AttentionOp(d_model, heads, 0, in_decoder, false));
  if (has_cross_) {
    ln_cross_ = register_module("ln_cross", ln());
    cross_ = register_module("cross", AttentionOp(d_model, heads, 0, false, true));
  }
  ln_ffn_ = register_module("ln_ffn", ln());
  ffn_ = register_module("ffn", FfnOp(d_model, ffn_hidden(ffn_spec_, d_model)));
}

torch::Tensor TransformerLayerImpl::forward(const torch::Tensor& x, const OpContext& ctx) {
  auto h = x + self_->forward(ln_self_(x), ctx);
  if (has_cross_) h = h + cross_->forward(ln_cross_(h), ctx);
  return h + ffn_->forward(ln_ffn_(h), ctx);
}

double TransformerLayerImpl::flops(int64_t t, int64_t s) const {
  double f = op_flops(self_spec_, d_model_, t, t) + op_flops(ffn_spec_, d_model_, t, t);
  if (has_cross_) f += op_flops(cross_spec_, d_model_, t, s);
  return f;
}

}  // namespace mctsnas::torchnas
