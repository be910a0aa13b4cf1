#include "evaluator/torch/seq_model.h"

#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"

namespace mctsnas::torchnas {
namespace {

// The pruned widths of layer i of a stack ("encoder.1."), keyed by the op's name in it.
std::map<std::string, int> layer_units(const OpUnits& all, const std::string& stack, int i) {
  const std::string layer = stack + "." + std::to_string(i) + ".";
  std::map<std::string, int> out;
  for (const auto& [path, units] : all)
    if (path.starts_with(layer)) out[path.substr(layer.size())] = units;
  return out;
}

// Every pruned width names an op of a layer the model has (prefix "encoder.N." or
// "decoder.N."), so a mistyped path is an error rather than an unpruned op.
void check_unit_paths(const ModelSpec& spec) {
  const auto& a = spec.arch;
  for (const auto& [path, units] : spec.op_units) {
    bool fits = false;
    for (const auto& [stack, layers] : {std::pair{"encoder", a.encoder_layers}, std::pair{"decoder", a.decoder_layers}})
      for (int i = 0; i < layers && !fits; ++i)
        fits = path.starts_with(std::string(stack) + "." + std::to_string(i) + ".");
    if (!fits || spec.transformer_baseline)
      throw Error("architecture: pruned width of '" + path + "': not an op of this model's cells");
  }
}

}  // namespace

SeqModelImpl::SeqModelImpl(const ModelSpec& spec, const ModelShape& shape)
    : kind_(spec.arch.model), shape_(shape), d_model_(spec.arch.d_model), baseline_(spec.transformer_baseline) {
  const auto& a = spec.arch;
  if (a.d_model <= 0) throw Error("architecture: d_model must be > 0, got " + std::to_string(a.d_model));
  if (shape.max_len <= 0) throw Error("model: max_len must be > 0");
  const bool has_enc = kind_ == "encoder_decoder" || kind_ == "encoder_only";
  const bool has_dec = kind_ == "encoder_decoder" || kind_ == "decoder_only";
  if (!has_enc && !has_dec)
    throw Error("architecture: model '" + kind_ + "': expected encoder_decoder, decoder_only or encoder_only");
  check_unit_paths(spec);
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({a.d_model})); };
  if (has_enc) {
    if (a.encoder_layers <= 0) throw Error("architecture: " + kind_ + " needs encoder_layers > 0");
    if (shape.src_vocab <= 0) throw Error("model: source vocabulary is empty");
    src_tok_ = register_module("src_tok", torch::nn::Embedding(shape.src_vocab, a.d_model));
    src_pos_ = register_module("src_pos", torch::nn::Embedding(shape.max_len, a.d_model));
    enc_ = register_module("encoder", torch::nn::ModuleList());
    for (int i = 0; i < a.encoder_layers; ++i) {
      if (baseline_) enc_->push_back(TransformerLayer(a.d_model, spec.baseline_heads, false, false));
      else enc_->push_back(CellLayer(a.encoder, a.d_model, false, false, layer_units(spec.op_units, "encoder", i)));
    }
    enc_norm_ = register_module("enc_norm", ln());
  }
  if (has_dec) {
    if (a.decoder_layers <= 0) throw Error("architecture: " + kind_ + " needs decoder_layers > 0");
    if (shape.tgt_vocab <= 0) throw Error("model: target vocabulary is empty");
    tgt_tok_ = register_module("tgt_tok", torch::nn::Embedding(shape.tgt_vocab, a.d_model));
    tgt_pos_ = register_module("tgt_pos", torch::nn::Embedding(shape.max_len, a.d_model));
    dec_ = register_module("decoder", torch::nn::ModuleList());
    for (int i = 0; i < a.decoder_layers; ++i) {
      if (baseline_) dec_->push_back(TransformerLayer(a.d_model, spec.baseline_heads, true, has_enc));
      else dec_->push_back(CellLayer(a.decoder, a.d_model, true, has_enc, layer_units(spec.op_units, "decoder", i)));
    }
    dec_norm_ = register_module("dec_norm", ln());
    head_ = register_module("head", Dense(a.d_model, shape.tgt_vocab));
  } else {
    if (shape.num_classes < 2) throw Error("model: a classifier needs >= 2 classes");
    head_ = register_module("head", Dense(a.d_model, shape.num_classes));
  }
}

torch::Tensor SeqModelImpl::embed(torch::nn::Embedding& tok, torch::nn::Embedding& pos, const torch::Tensor& ids) {
  const int64_t t = ids.size(1);
  MCTSNAS_CHECK(t <= shape_.max_len, "sequence longer than the model's max_len");
  // Rows 0..t-1 of the position table: the same values and gradients as looking up
  // arange(t), without the index kernels and the embedding's sort-based backward.
  return tok(ids) + pos->weight.slice(0, 0, t).unsqueeze(0);
}

torch::Tensor SeqModelImpl::run_stack(torch::nn::ModuleList& layers, torch::Tensor x, const OpContext& ctx) {
  torch::Tensor prev = x;   // node 1 of the first layer is its own input
  for (const auto& m : *layers) {
    torch::Tensor y;
    if (baseline_) y = m->as<TransformerLayerImpl>()->forward(x, ctx);
    else y = m->as<CellLayerImpl>()->forward(x, prev, ctx);
    prev = x;
    x = y;
  }
  return x;
}

torch::Tensor SeqModelImpl::encode(const torch::Tensor& src, const torch::Tensor& src_pad) {
  MCTSNAS_CHECK(enc_, "encode() on a model without encoder");
  OpContext ctx;
  ctx.pad = src_pad;
  return enc_norm_(run_stack(enc_, embed(src_tok_, src_pos_, src), ctx));
}

torch::Tensor SeqModelImpl::decode(const torch::Tensor& tgt, const torch::Tensor& tgt_pad,
                                   const torch::Tensor& memory, const torch::Tensor& memory_pad) {
  MCTSNAS_CHECK(dec_, "decode() on a model without decoder");
  OpContext ctx;
  ctx.pad = tgt_pad;
  ctx.memory = memory;
  ctx.memory_pad = memory_pad;
  return head_(dec_norm_(run_stack(dec_, embed(tgt_tok_, tgt_pos_, tgt), ctx)));
}

torch::Tensor SeqModelImpl::classify(const torch::Tensor& src, const torch::Tensor& src_pad) {
  MCTSNAS_CHECK(enc_ && !dec_, "classify() on a model that is not encoder_only");
  auto h = encode(src, src_pad);                          // [B, T, D]
  auto keep = (~src_pad).unsqueeze(-1).to(h.scalar_type());
  auto pooled = (h * keep).sum(1) / keep.sum(1).clamp_min(1.0);
  return head_(pooled);
}

int64_t SeqModelImpl::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

double SeqModelImpl::flops(int64_t s, int64_t t) const {
  double f = 0;
  const double d = static_cast<double>(d_model_);
  if (enc_)
    for (const auto& m : *enc_)
      f += baseline_ ? m->as<TransformerLayerImpl>()->flops(s, s) : m->as<CellLayerImpl>()->flops(s, s);
  if (dec_) {
    for (const auto& m : *dec_)
      f += baseline_ ? m->as<TransformerLayerImpl>()->flops(t, s) : m->as<CellLayerImpl>()->flops(t, s);
    f += 2.0 * static_cast<double>(t) * d * static_cast<double>(shape_.tgt_vocab);
  } else {
    f += 2.0 * d * static_cast<double>(shape_.num_classes);
  }
  return f;
}

SeqModel build_model(const ModelSpec& spec, const ModelShape& shape) { return SeqModel(spec, shape); }

void save_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    throw Error("cannot write weights to " + path + ": " + e.what_without_backtrace());
  }
  write_file_atomically(path, bytes.str());
}

void save_weights(const SeqModel& model, const std::string& path) {
  torch::serialize::OutputArchive archive;
  model->save(archive);
  save_archive(archive, path);
}

void load_weights(SeqModel& model, const std::string& path) {
  // Module::load replaces a tensor whatever its shape, so shapes are checked here.
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& p : model->named_parameters()) shapes.emplace_back(p.key(), p.value().sizes().vec());
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    model->load(archive);
    size_t i = 0;
    for (const auto& p : model->named_parameters()) {
      if (p.value().sizes().vec() != shapes[i].second)
        throw Error("weights file " + path + ": " + p.key() + " has shape " + c10::str(p.value().sizes()) +
                    ", this model expects " + c10::str(c10::IntArrayRef(shapes[i].second)));
      ++i;
    }
  } catch (const c10::Error& e) {
    throw Error("weights file " + path + " does not fit this model (or is not a weights file): " +
                e.what_without_backtrace());
  }
}

}  // namespace mctsnas::torchnas
