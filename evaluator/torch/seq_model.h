#pragma once
// A whole model for one architecture: embeddings + positions, encoder and/or decoder
// layers (cells, or the reference Transformer), final norms and an output head.
//   encoder_decoder (g2p):  encode(src) -> memory; decode(tgt_in, memory) -> logits
//   decoder_only    (lm):   decode(tokens) -> next-token logits
//   encoder_only (classify): classify(src) -> class logits (masked mean pooling)
// Usable on its own (export, tests, bench): build_model() + save/load_weights().
#include <torch/torch.h>

#include <map>
#include <string>

#include "evaluator/torch/cell_layer.h"
#include "space/cell_architecture.h"

namespace mctsnas::torchnas {

// Structured pruning's widths (prune.h): an op module's path ("encoder.1.node0_in1",
// as in the weights' names) -> the units it keeps (OpSpec::units). Ops not listed
// have their full width, so an empty map is the unpruned model.
using OpUnits = std::map<std::string, int>;

struct ModelSpec {
  CellArchitecture arch;              // model kind, d_model, layer counts, cells
  bool transformer_baseline = false;  // ignore the cells: standard Transformer layers
  int baseline_heads = 4;
  OpUnits op_units;                   // cells only
};

// Vocabularies and lengths the task fixes.
struct ModelShape {
  int64_t src_vocab = 0;     // encoder input tokens (encoder_* models)
  int64_t tgt_vocab = 0;     // decoder tokens (decoder models)
  int64_t num_classes = 0;   // encoder_only
  int64_t max_len = 32;      // longest sequence a position embedding covers
};

class SeqModelImpl : public torch::nn::Module {
 public:
  SeqModelImpl(const ModelSpec& spec, const ModelShape& shape);

  torch::Tensor encode(const torch::Tensor& src, const torch::Tensor& src_pad);
  torch::Tensor decode(const torch::Tensor& tgt, const torch::Tensor& tgt_pad,
                       const torch::Tensor& memory = {}, const torch::Tensor& memory_pad = {});
  torch::Tensor classify(const torch::Tensor& src, const torch::Tensor& src_pad);

  const std::string& kind() const { return kind_; }
  const ModelShape& shape() const { return shape_; }
  int64_t num_parameters() const;
  // Forward FLOPs of one example with source length s and target length t.
  double flops(int64_t s, int64_t t) const;

 private:
  torch::Tensor embed(torch::nn::Embedding& tok, torch::nn::Embedding& pos, const torch::Tensor& ids);
  torch::Tensor run_stack(torch::nn::ModuleList& layers, torch::Tensor x, const OpContext& ctx);

  std::string kind_;
  ModelShape shape_;
  int64_t d_model_;
  bool baseline_;
  torch::nn::Embedding src_tok_{nullptr}, src_pos_{nullptr}, tgt_tok_{nullptr}, tgt_pos_{nullptr};
  torch::nn::ModuleList enc_{nullptr}, dec_{nullptr};
  torch::nn::LayerNorm enc_norm_{nullptr}, dec_norm_{nullptr};
  Dense head_{nullptr};
};
TORCH_MODULE(SeqModel);

// Throws mctsnas::Error for an architecture this builder cannot make (unknown op,
// non-causal op in a decoder, cross-attention without encoder, bad shape).
SeqModel build_model(const ModelSpec& spec, const ModelShape& shape);

// Writes an archive to `path` as the project writes every file: whole or not at all,
// never through a symbolic link (common/atomic_file.h). Error naming the file.
void save_archive(torch::serialize::OutputArchive& archive, const std::string& path);
void save_weights(const SeqModel& model, const std::string& path);
// Loads weights saved by save_weights into a model built from the same spec/shape;
// Error naming the file when it does not fit.
void load_weights(SeqModel& model, const std::string& path);

}  // namespace mctsnas::torchnas
