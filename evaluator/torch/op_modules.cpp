#include "evaluator/torch/op_modules.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace mctsnas::torchnas {
namespace {

// Zeroes padded positions so a convolution sees the same zeros there as past the end.
torch::Tensor zero_pad(const torch::Tensor& x, const OpContext& ctx) {
  if (!ctx.pad.defined()) return x;
  return x.masked_fill(ctx.pad.unsqueeze(-1), 0.0);
}

}  // namespace

ConvOpImpl::ConvOpImpl(int64_t d_model, int kernel, int dilation, bool separable, bool causal) {
  MCTSNAS_CHECK(kernel >= 1 && dilation >= 1, "conv op needs kernel >= 1 and dilation >= 1");
  const int64_t span = static_cast<int64_t>(kernel - 1) * dilation;
  left_ = causal ? span : span / 2;
  right_ = span - left_;
  auto opts = torch::nn::Conv1dOptions(d_model, d_model, kernel).dilation(dilation);
  if (separable) opts = opts.groups(d_model);
  conv_ = register_module("conv", torch::nn::Conv1d(opts));
  if (separable) pointwise_ = register_module("pointwise", torch::nn::Linear(d_model, d_model));
}

torch::Tensor ConvOpImpl::forward(const torch::Tensor& x, const OpContext& ctx) {
  auto h = zero_pad(x, ctx).transpose(1, 2);                       // [B, D, T]
  h = torch::constant_pad_nd(h, {left_, right_});
  h = conv_(h).transpose(1, 2);                                    // [B, T, D]
  if (pointwise_) h = pointwise_(h);
  return torch::gelu(h);
}

AttentionOpImpl::AttentionOpImpl(int64_t d_model, int heads, int window, bool causal, bool cross)
    : d_model_(d_model), heads_(heads), window_(window), causal_(causal), cross_(cross) {
  if (heads <= 0 || d_model % heads != 0)
    throw Error("attention op: d_model " + std::to_string(d_model) + " is not a multiple of its " +
                std::to_string(heads) + " heads");
  q_ = register_module("q", torch::nn::Linear(d_model, d_model));
  kv_ = register_module("kv", torch::nn::Linear(d_model, 2 * d_model));
  out_ = register_module("out", torch::nn::Linear(d_model, d_model));
}

torch::Tensor AttentionOpImpl::blocked(int64_t t, int64_t s, const torch::Device& device) {
  if (!blocked_cache_.defined() || blocked_cache_.device() != device || blocked_cache_.size(0) < t ||
      blocked_cache_.size(1) < s) {
    const int64_t rows = blocked_cache_.defined() ? std::max(t, blocked_cache_.size(0)) : t;
    const int64_t cols = blocked_cache_.defined() ? std::max(s, blocked_cache_.size(1)) : s;
    torch::NoGradGuard no_grad;
    auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
    auto diff = torch::arange(rows, opts).unsqueeze(1) - torch::arange(cols, opts).unsqueeze(0);
    torch::Tensor b = torch::zeros({rows, cols}, opts.dtype(torch::kBool));
    if (causal_ && !cross_) b = b | (diff < 0);
    if (window_ > 0) {
      if (causal_ && !cross_) b = b | (diff >= window_);
      else b = b | (diff.abs() > window_ / 2);
    }
    blocked_cache_ = b;
  }
  if (blocked_cache_.size(0) == t && blocked_cache_.size(1) == s) return blocked_cache_;
  return blocked_cache_.slice(0, 0, t).slice(1, 0, s);
}

torch::Tensor AttentionOpImpl::forward(const torch::Tensor& x, const OpContext& ctx) {
  const auto& src = cross_ ? ctx.memory : x;
  const auto& src_pad = cross_ ? ctx.memory_pad : ctx.pad;
  MCTSNAS_CHECK(src.defined(), "cross-attention without an encoder output");
  const int64_t b = x.size(0), t = x.size(1), s = src.size(1), dh = d_model_ / heads_;
  auto q = q_(x).view({b, t, heads_, dh}).transpose(1, 2);                  // [B, H, T, dh]
  auto kv = kv_(src).view({b, s, 2, heads_, dh}).permute({2, 0, 3, 1, 4});  // [2, B, H, S, dh]
  auto k = kv[0], v = kv[1];
  auto scores = torch::matmul(q, k.transpose(-2, -1)).to(torch::kFloat) / std::sqrt(double(dh));

  auto mask = blocked(t, s, x.device()).unsqueeze(0).unsqueeze(0);   // [1, 1, T, S]
  if (src_pad.defined()) mask = mask | src_pad.view({b, 1, 1, s});
  // A finite fill: a row with every key blocked (a padded query) gets a uniform
  // average instead of NaN; its output is never used.
  scores = scores.masked_fill(mask, -1e9);
  auto attn = torch::softmax(scores, -1).to(v.scalar_type());
  auto out = torch::matmul(attn, v).transpose(1, 2).reshape({b, t, d_model_});
  return out_(out);
}

GluOpImpl::GluOpImpl(int64_t d_model) {
  proj_ = register_module("proj", torch::nn::Linear(d_model, 2 * d_model));
}

torch::Tensor GluOpImpl::forward(const torch::Tensor& x, const OpContext&) {
  auto h = proj_(x).chunk(2, -1);
  return h[0] * torch::sigmoid(h[1]);
}

FfnOpImpl::FfnOpImpl(int64_t d_model, int64_t expansion) {
  up_ = register_module("up", torch::nn::Linear(d_model, expansion * d_model));
  down_ = register_module("down", torch::nn::Linear(expansion * d_model, d_model));
}

torch::Tensor FfnOpImpl::forward(const torch::Tensor& x, const OpContext&) {
  return down_(torch::gelu(up_(x)));
}

std::shared_ptr<OpModuleImpl> make_op(const OpSpec& spec, int64_t d_model, bool in_decoder,
                                      bool has_memory) {
  const bool sequence = spec.kind == OpKind::conv || spec.kind == OpKind::sep_conv ||
                        spec.kind == OpKind::dilated_conv || spec.kind == OpKind::local_attention;
  if (in_decoder && sequence && !spec.causal)
    throw Error("op '" + spec.name + "' reads future positions and cannot be used in a decoder; "
                "use its causal_ form");
  switch (spec.kind) {
    case OpKind::conv:
      return std::make_shared<ConvOpImpl>(d_model, spec.kernel, 1, false, spec.causal);
    case OpKind::sep_conv:
      return std::make_shared<ConvOpImpl>(d_model, spec.kernel, 1, true, spec.causal);
    case OpKind::dilated_conv:
      return std::make_shared<ConvOpImpl>(d_model, spec.kernel, spec.dilation, false, spec.causal);
    case OpKind::local_attention:
      return std::make_shared<AttentionOpImpl>(d_model, spec.heads, spec.window, spec.causal, false);
    case OpKind::cross_attention:
      if (!has_memory)
        throw Error("op '" + spec.name + "' needs an encoder: only encoder_decoder models have one");
      return std::make_shared<AttentionOpImpl>(d_model, spec.heads, spec.window, false, true);
    case OpKind::glu: return std::make_shared<GluOpImpl>(d_model);
    case OpKind::ffn: return std::make_shared<FfnOpImpl>(d_model, kFfnExpansion);
    case OpKind::identity: return std::make_shared<IdentityOpImpl>();
    case OpKind::zero: return std::make_shared<ZeroOpImpl>();
  }
  throw Error("op '" + spec.name + "' has no LibTorch builder");
}

double op_flops(const OpSpec& spec, int64_t d_model, int64_t t, int64_t s) {
  const double d = static_cast<double>(d_model), tq = static_cast<double>(t);
  switch (spec.kind) {
    case OpKind::conv:
    case OpKind::dilated_conv: return 2.0 * tq * spec.kernel * d * d;
    case OpKind::sep_conv: return 2.0 * tq * (spec.kernel * d + d * d);
    case OpKind::local_attention:
    case OpKind::cross_attention: {
      const bool cross = spec.kind == OpKind::cross_attention;
      const double keys = static_cast<double>(cross ? s : t);
      // Keys each query reads: the window (an efficient kernel computes only those).
      double per_query = keys;
      if (spec.window > 0) per_query = std::min(keys, double(spec.causal && !cross ? spec.window : spec.window + 1));
      else if (spec.causal && !cross) per_query = (keys + 1) / 2;
      return 2.0 * tq * d * d * 2 + 2.0 * keys * d * d * 2 + 2.0 * tq * per_query * d * 2;
    }
    case OpKind::glu: return 2.0 * tq * d * 2 * d;
    case OpKind::ffn: return 2.0 * tq * d * kFfnExpansion * d * 2;
    case OpKind::identity:
    case OpKind::zero: return 0;
  }
  return 0;
}

}  // namespace mctsnas::torchnas
