#include "evaluator/torch/op_modules.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/error.h"

namespace mctsnas::torchnas {
namespace {

// Zeroes padded positions so a convolution sees the same zeros there as past the end.
torch::Tensor zero_pad(const torch::Tensor& x, const OpContext& ctx) {
  if (!ctx.pad.defined()) return x;
  return x.masked_fill(ctx.pad.unsqueeze(-1), 0.0);
}

// Structured pruning's importance of a weight matrix's rows (dim 1 summed: each row
// is one output) or columns (dim 0): the L1 norm of each, plus its bias entry.
torch::Tensor l1_of_rows(const Dense& d) { return d->weight.abs().sum(1) + d->bias.abs(); }
torch::Tensor l1_of_columns(const Dense& d) { return d->weight.abs().sum(0); }

// dst = src's entries `index` along `dim` (the kept units' weights).
void copy_selected(const torch::Tensor& src, int64_t dim, const torch::Tensor& index, torch::Tensor& dst) {
  torch::NoGradGuard no_grad;
  const auto part = src.index_select(dim, index);
  MCTSNAS_CHECK(part.sizes() == dst.sizes(), "pruning: the smaller op's tensor does not fit the kept units");
  dst.copy_(part);
}

// The indices of the `width` consecutive entries of each unit in `units`.
torch::Tensor unit_entries(const torch::Tensor& units, int64_t width) {
  return (units.to(torch::kLong).unsqueeze(1) * width + torch::arange(width, torch::kLong).unsqueeze(0)).flatten();
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
  if (separable) pointwise_ = register_module("pointwise", Dense(d_model, d_model));
}

torch::Tensor ConvOpImpl::forward(const torch::Tensor& x, const OpContext& ctx) {
  auto h = zero_pad(x, ctx).transpose(1, 2);                       // [B, D, T]
  h = torch::constant_pad_nd(h, {left_, right_});
  h = conv_(h).transpose(1, 2);                                    // [B, T, D]
  if (pointwise_) h = pointwise_(h);
  return torch::gelu(h);
}

namespace {

// model.py's twin of ConvOpImpl (and of zero_pad).
constexpr std::string_view kConvOpPy = R"PY(def _zero_pad(x, ctx):
    if ctx.pad is None:
        return x
    return x.masked_fill(ctx.pad.unsqueeze(-1), 0.0)


class ConvOp(nn.Module):
    def __init__(self, d_model, kernel, dilation, separable, causal):
        super().__init__()
        span = (kernel - 1) * dilation
        self.left = span if causal else span // 2
        self.right = span - self.left
        self.conv = nn.Conv1d(d_model, d_model, kernel, dilation=dilation,
                              groups=d_model if separable else 1)
        self.pointwise = nn.Linear(d_model, d_model) if separable else None

    def forward(self, x, ctx):
        h = _zero_pad(x, ctx).transpose(1, 2)
        h = F.pad(h, (self.left, self.right))
        h = self.conv(h).transpose(1, 2)
        if self.pointwise is not None:
            h = self.pointwise(h)
        return F.gelu(h)
)PY";

}  // namespace

AttentionOpImpl::AttentionOpImpl(int64_t d_model, int heads, int window, bool causal, bool cross, int kept)
    : heads_(kept > 0 ? kept : heads), dh_(heads > 0 ? d_model / heads : 0), window_(window), causal_(causal),
      cross_(cross) {
  if (heads <= 0 || d_model % heads != 0)
    throw Error("attention op: d_model " + std::to_string(d_model) + " is not a multiple of its " +
                std::to_string(heads) + " heads");
  if (kept < 0 || kept > heads)
    throw Error("attention op: keeps " + std::to_string(kept) + " of its " + std::to_string(heads) +
                " heads (expected 1.." + std::to_string(heads) + ", or 0 for all)");
  const int64_t inner = heads_ * dh_;
  q_ = register_module("q", Dense(d_model, inner));
  kv_ = register_module("kv", Dense(d_model, 2 * inner));
  out_ = register_module("out", Dense(inner, d_model));
}

torch::Tensor AttentionOpImpl::unit_scores() const {
  torch::NoGradGuard no_grad;
  const auto q = l1_of_rows(q_).view({heads_, dh_}).sum(1);
  // kv's rows: all k heads, then all v heads.
  const auto kv = l1_of_rows(kv_).view({2, heads_, dh_}).sum(at::IntArrayRef{0, 2});
  const auto out = l1_of_columns(out_).view({heads_, dh_}).sum(1);
  return q + kv + out;
}

void AttentionOpImpl::copy_units(const torch::Tensor& keep, OpModuleImpl& to) const {
  auto* t = dynamic_cast<AttentionOpImpl*>(&to);
  MCTSNAS_CHECK(t && t->heads_ == keep.numel() && t->dh_ == dh_, "pruning: not this attention op with the kept heads");
  const auto rows = unit_entries(keep, dh_);
  copy_selected(q_->weight, 0, rows, t->q_->weight);
  copy_selected(q_->bias, 0, rows, t->q_->bias);
  const auto kv_rows = torch::cat({rows, rows + heads_ * dh_});
  copy_selected(kv_->weight, 0, kv_rows, t->kv_->weight);
  copy_selected(kv_->bias, 0, kv_rows, t->kv_->bias);
  copy_selected(out_->weight, 1, rows, t->out_->weight);
  torch::NoGradGuard no_grad;
  t->out_->bias.copy_(out_->bias);
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
  const int64_t b = x.size(0), t = x.size(1), s = src.size(1), dh = dh_;
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
  auto out = torch::matmul(attn, v).transpose(1, 2).reshape({b, t, heads_ * dh});
  return out_(out);
}

namespace {

// model.py's twin of AttentionOpImpl (the mask built on every call).
constexpr std::string_view kAttentionOpPy = R"PY(class AttentionOp(nn.Module):
    def __init__(self, d_model, heads, window, causal, cross, kept=0):
        super().__init__()
        self.dh = d_model // heads
        self.heads, self.window = kept or heads, window
        self.causal, self.cross = causal, cross
        inner = self.heads * self.dh
        self.q = nn.Linear(d_model, inner)
        self.kv = nn.Linear(d_model, 2 * inner)
        self.out = nn.Linear(inner, d_model)

    def forward(self, x, ctx):
        src = ctx.memory if self.cross else x
        src_pad = ctx.memory_pad if self.cross else ctx.pad
        b, t, s = x.shape[0], x.shape[1], src.shape[1]
        dh = self.dh
        q = self.q(x).view(b, t, self.heads, dh).transpose(1, 2)
        kv = self.kv(src).view(b, s, 2, self.heads, dh).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        scores = torch.matmul(q, k.transpose(-2, -1)).float() / math.sqrt(float(dh))
        diff = torch.arange(t, device=x.device).unsqueeze(1) - torch.arange(s, device=x.device).unsqueeze(0)
        blocked = torch.zeros(t, s, dtype=torch.bool, device=x.device)
        self_causal = self.causal and not self.cross
        if self_causal:
            blocked = blocked | (diff < 0)
        if self.window > 0:
            if self_causal:
                blocked = blocked | (diff >= self.window)
            else:
                blocked = blocked | (diff.abs() > self.window // 2)
        mask = blocked.view(1, 1, t, s)
        if src_pad is not None:
            mask = mask | src_pad.view(b, 1, 1, s)
        scores = scores.masked_fill(mask, -1e9)
        attn = torch.softmax(scores, -1).to(v.dtype)
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, t, self.heads * dh)
        return self.out(out)
)PY";

}  // namespace

GluOpImpl::GluOpImpl(int64_t d_model) {
  proj_ = register_module("proj", Dense(d_model, 2 * d_model));
}

torch::Tensor GluOpImpl::forward(const torch::Tensor& x, const OpContext&) {
  auto h = proj_(x).chunk(2, -1);
  return h[0] * torch::sigmoid(h[1]);
}

namespace {

constexpr std::string_view kGluOpPy = R"PY(class GluOp(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.proj = nn.Linear(d_model, 2 * d_model)

    def forward(self, x, ctx):
        a, g = self.proj(x).chunk(2, -1)
        return a * torch.sigmoid(g)
)PY";

}  // namespace

FfnOpImpl::FfnOpImpl(int64_t d_model, int64_t hidden) {
  if (hidden < 1) throw Error("ffn op: hidden width " + std::to_string(hidden) + " (expected >= 1)");
  up_ = register_module("up", Dense(d_model, hidden));
  down_ = register_module("down", Dense(hidden, d_model));
}

torch::Tensor FfnOpImpl::unit_scores() const {
  torch::NoGradGuard no_grad;
  return l1_of_rows(up_) + l1_of_columns(down_);
}

void FfnOpImpl::copy_units(const torch::Tensor& keep, OpModuleImpl& to) const {
  auto* t = dynamic_cast<FfnOpImpl*>(&to);
  MCTSNAS_CHECK(t && t->up_->weight.size(0) == keep.numel(), "pruning: not an ffn op with the kept units");
  copy_selected(up_->weight, 0, keep, t->up_->weight);
  copy_selected(up_->bias, 0, keep, t->up_->bias);
  copy_selected(down_->weight, 1, keep, t->down_->weight);
  torch::NoGradGuard no_grad;
  t->down_->bias.copy_(down_->bias);
}

torch::Tensor FfnOpImpl::forward(const torch::Tensor& x, const OpContext&) {
  return down_(torch::gelu(up_(x)));
}

namespace {

constexpr std::string_view kFfnOpPy = R"PY(class FfnOp(nn.Module):
    def __init__(self, d_model, hidden=0):
        super().__init__()
        hidden = hidden or 4 * d_model
        self.up = nn.Linear(d_model, hidden)
        self.down = nn.Linear(hidden, d_model)

    def forward(self, x, ctx):
        return self.down(F.gelu(self.up(x)))
)PY";

constexpr std::string_view kIdentityOpPy = R"PY(class IdentityOp(nn.Module):
    def forward(self, x, ctx):
        return x
)PY";

}  // namespace

namespace {

template <class M, class... A>
std::shared_ptr<OpModuleImpl> make_module(A&&... args) {
  return std::make_shared<M>(std::forward<A>(args)...);
}

// One entry per op kind of space/op_table.cpp; the parameters come from the parsed
// spec here and from model.json's spec in model.py.
const OpBuilder kOpBuilders[] = {
    {"conv", [](const OpSpec& s, int64_t d) { return make_module<ConvOpImpl>(d, s.kernel, 1, false, s.causal); },
     kConvOpPy, "ConvOp(d_model, spec['kernel'], 1, False, spec['causal'])"},
    {"sep_conv", [](const OpSpec& s, int64_t d) { return make_module<ConvOpImpl>(d, s.kernel, 1, true, s.causal); },
     kConvOpPy, "ConvOp(d_model, spec['kernel'], 1, True, spec['causal'])"},
    {"dilated_conv",
     [](const OpSpec& s, int64_t d) { return make_module<ConvOpImpl>(d, s.kernel, s.dilation, false, s.causal); },
     kConvOpPy, "ConvOp(d_model, spec['kernel'], spec['dilation'], False, spec['causal'])"},
    {"local_attention",
     [](const OpSpec& s, int64_t d) {
       return make_module<AttentionOpImpl>(d, s.heads, s.window, s.causal, false, s.units);
     },
     kAttentionOpPy, "AttentionOp(d_model, spec['heads'], spec['window'], spec['causal'], False, units)"},
    {"cross_attention",
     [](const OpSpec& s, int64_t d) {
       return make_module<AttentionOpImpl>(d, s.heads, s.window, false, true, s.units);
     },
     kAttentionOpPy, "AttentionOp(d_model, spec['heads'], spec['window'], False, True, units)"},
    {"glu", [](const OpSpec&, int64_t d) { return make_module<GluOpImpl>(d); }, kGluOpPy, "GluOp(d_model)"},
    {"ffn", [](const OpSpec& s, int64_t d) { return make_module<FfnOpImpl>(d, ffn_hidden(s, d)); }, kFfnOpPy,
     "FfnOp(d_model, units)"},
    {"identity", [](const OpSpec&, int64_t) { return make_module<IdentityOpImpl>(); }, kIdentityOpPy, "IdentityOp()"},
    {kZeroOp, [](const OpSpec&, int64_t) { return std::shared_ptr<OpModuleImpl>(); }, "", "None"},
};

}  // namespace

std::span<const OpBuilder> op_builders() { return kOpBuilders; }

const OpBuilder* find_op_builder(std::string_view kind) {
  for (const OpBuilder& b : kOpBuilders)
    if (b.kind == kind) return &b;
  return nullptr;
}

std::shared_ptr<OpModuleImpl> make_op(const OpSpec& spec, int64_t d_model, bool in_decoder,
                                      bool has_memory) {
  MCTSNAS_CHECK(spec.kind != nullptr, "make_op: op '" + spec.name + "' has no kind");
  if (in_decoder && spec.kind->sequence && !spec.causal)
    throw Error("op '" + spec.name + "' reads future positions and cannot be used in a decoder; "
                "use its causal_ form");
  if (spec.kind->needs_encoder && !has_memory)
    throw Error("op '" + spec.name + "' needs an encoder: only encoder_decoder models have one");
  const OpBuilder* b = find_op_builder(spec.kind->name);
  if (!b) throw Error("op '" + spec.name + "' has no LibTorch builder");
  auto op = b->build(spec, d_model);
  // A width the op would ignore means the model description does not fit the op.
  if (spec.units < 0)
    throw Error("op '" + spec.name + "': pruned width " + std::to_string(spec.units) + " (expected > 0)");
  if (spec.units != 0 && !(op && op->unit_scores().defined()))
    throw Error("op '" + spec.name + "' has no units to prune (pruned widths apply to ffn and attention ops)");
  return op;
}

}  // namespace mctsnas::torchnas
