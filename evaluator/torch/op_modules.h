#pragma once
// The LibTorch side of the op vocabulary (space/ops.h): one module per op, and one
// OpBuilder per op kind that builds it and says how model.py (export) builds its
// PyTorch twin. Every op maps a sequence [B, T, D] to [B, T, D]. Ops built with
// `causal` only read positions <= t, so a decoder's output at t never depends on
// inputs after t.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "evaluator/torch/dense.h"
#include "space/ops.h"

namespace mctsnas::torchnas {

// What an op may look at besides its input.
struct OpContext {
  torch::Tensor pad;          // [B, T] bool, true at padding; undefined: no padding
  torch::Tensor memory;       // [B, S, D] encoder output (cross-attention only)
  torch::Tensor memory_pad;   // [B, S] bool
};

// Common base so a cell can hold any op in one ModuleList.
// An op whose inner units can be removed whole (structured pruning, prune.h) says so
// here: the op kind's own module is the one place that knows its units' weights.
class OpModuleImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x, const OpContext& ctx) = 0;
  // The importance of each unit the op can drop (L1 norm of the weights that exist only
  // for that unit, see each override); undefined when it has none.
  virtual torch::Tensor unit_scores() const { return {}; }
  // Copies the weights of units `keep` (sorted indices into unit_scores) into `to`,
  // this op's kind built with keep.size() units.
  virtual void copy_units(const torch::Tensor& /*keep*/, OpModuleImpl& /*to*/) const {}
};

// Convolution over time: standard (groups 1) or depthwise-separable, any dilation.
class ConvOpImpl : public OpModuleImpl {
 public:
  ConvOpImpl(int64_t d_model, int kernel, int dilation, bool separable, bool causal);
  torch::Tensor forward(const torch::Tensor& x, const OpContext& ctx) override;

 private:
  int64_t left_, right_;
  torch::nn::Conv1d conv_{nullptr};
  Dense pointwise_{nullptr};   // separable only
};
TORCH_MODULE(ConvOp);

// Multi-head attention. Self-attention restricted to a window (causal: the w
// positions ending at t; else the w+1 centred on t; window 0: full), or
// cross-attention to ctx.memory (window > 0: keys within w/2 of the query's position).
// `kept` heads of the `heads` (0: all): a pruned op keeps each head's width
// d_model / heads, so a kept head computes exactly what it did before pruning.
class AttentionOpImpl : public OpModuleImpl {
 public:
  AttentionOpImpl(int64_t d_model, int heads, int window, bool causal, bool cross, int kept = 0);
  torch::Tensor forward(const torch::Tensor& x, const OpContext& ctx) override;
  // Head h: its rows of q and of k and v in kv (weights and biases), its columns of out.
  torch::Tensor unit_scores() const override;
  void copy_units(const torch::Tensor& keep, OpModuleImpl& to) const override;

 private:
  // blocked[i, j]: query i may not read key j. It depends only on i - j, so the mask
  // for (t, s) is the top-left corner of any larger one: built once per device and
  // sliced, instead of ~10 small kernels per forward.
  torch::Tensor blocked(int64_t t, int64_t s, const torch::Device& device);

  int64_t heads_, dh_;   // heads_: those computed (the kept ones); dh_: each one's width
  int window_;
  bool causal_, cross_;
  Dense q_{nullptr}, kv_{nullptr}, out_{nullptr};
  torch::Tensor blocked_cache_;   // not a buffer: derived, never saved or trained
};
TORCH_MODULE(AttentionOp);

class GluOpImpl : public OpModuleImpl {
 public:
  explicit GluOpImpl(int64_t d_model);
  torch::Tensor forward(const torch::Tensor& x, const OpContext& ctx) override;

 private:
  Dense proj_{nullptr};
};
TORCH_MODULE(GluOp);

class FfnOpImpl : public OpModuleImpl {
 public:
  FfnOpImpl(int64_t d_model, int64_t hidden);
  torch::Tensor forward(const torch::Tensor& x, const OpContext& ctx) override;
  // Hidden unit j: row j of up (weight and bias) and column j of down.
  torch::Tensor unit_scores() const override;
  void copy_units(const torch::Tensor& keep, OpModuleImpl& to) const override;

 private:
  Dense up_{nullptr}, down_{nullptr};
};
TORCH_MODULE(FfnOp);

class IdentityOpImpl : public OpModuleImpl {
 public:
  torch::Tensor forward(const torch::Tensor& x, const OpContext&) override { return x; }
};
TORCH_MODULE(IdentityOp);

// How one op kind (an OpKind of space/op_table.cpp, by name) is built, here and in
// the model.py that export writes (export_pytorch.h).
struct OpBuilder {
  std::string_view kind;
  // The module for one op of this kind; null for an op that adds nothing (`zero`),
  // whose edges the cell skips.
  std::shared_ptr<OpModuleImpl> (*build)(const OpSpec& spec, int64_t d_model);
  // model.py: the PyTorch class(es) mirroring the module, same parameter names and
  // forward to float rounding. Kinds sharing a class share the text; it is emitted once.
  std::string_view python_class;
  // model.py: a Python expression of `spec` (model.json's spec of the edge),
  // `d_model` and `units` (OpSpec::units, 0: unpruned) that builds the module, or None.
  std::string_view python_make;
};

// Every op kind's builder (op_modules.cpp).
std::span<const OpBuilder> op_builders();
// The builder of an op kind; nullptr when it has none.
const OpBuilder* find_op_builder(std::string_view kind);

// Builds the module for an op; null for `zero`. `in_decoder`: a non-causal sequence
// op there would read the future, and without an encoder (`has_memory` false) an op
// that needs one has nothing to read, so both are refused (mctsnas::Error) rather
// than silently masked.
std::shared_ptr<OpModuleImpl> make_op(const OpSpec& spec, int64_t d_model, bool in_decoder,
                                      bool has_memory);

}  // namespace mctsnas::torchnas
