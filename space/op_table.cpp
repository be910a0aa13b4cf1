// The op table: one OpKind entry per kind of op (space/ops.h). An entry's position
// fixes where its names appear in op_names() and in error messages.
#include <algorithm>
#include <charconv>

#include "space/ops.h"

namespace mctsnas {
namespace {

// Parameter ranges. Kernels are odd so that a "same" convolution stays centred
// (and a causal one pads by kernel - 1 on the left only).
constexpr int kMaxKernel = 31;
constexpr int kMaxDilation = 64;
constexpr int kMaxWindow = 4096;
constexpr int kMaxHeads = 64;
constexpr int kDefaultDilation = 2;
constexpr int kDefaultHeads = 4;

// Reads a positive decimal integer at the front of s (no sign, no leading zero).
std::optional<int> eat_int(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  if (n == 0 || n > 6 || s[0] == '0') return std::nullopt;
  int v = 0;
  std::from_chars(s.data(), s.data() + n, v);
  s.remove_prefix(n);
  return v;
}

// "_<tag><int>" if present; `present` tells whether the suffix was there.
bool eat_param(std::string_view& s, char tag, int& value, bool& present) {
  present = false;
  if (s.size() < 3 || s[0] != '_' || s[1] != tag) return true;
  std::string_view rest = s.substr(2);
  auto v = eat_int(rest);
  if (!v) return false;
  value = *v;
  present = true;
  s = rest;
  return true;
}

bool parse_kernel(std::string_view& s, OpSpec& op) {
  auto k = eat_int(s);
  if (!k || *k < 3 || *k > kMaxKernel || *k % 2 == 0) return false;
  op.kernel = *k;
  return true;
}

bool parse_heads(std::string_view& s, OpSpec& op) {
  bool present = false;
  op.heads = kDefaultHeads;
  return eat_param(s, 'h', op.heads, present) && op.heads >= 1 && op.heads <= kMaxHeads;
}

bool parse_dilated(std::string_view& s, OpSpec& op) {
  bool present = false;
  op.dilation = kDefaultDilation;
  return parse_kernel(s, op) && eat_param(s, 'd', op.dilation, present) && op.dilation >= 2 &&
         op.dilation <= kMaxDilation;
}

bool parse_local_attention(std::string_view& s, OpSpec& op) {
  if (!s.starts_with("_w")) return false;   // a local attention needs its window
  s.remove_prefix(2);
  auto w = eat_int(s);
  if (!w || *w < 2 || *w > kMaxWindow) return false;
  op.window = *w;
  return parse_heads(s, op);
}

bool parse_cross_attention(std::string_view& s, OpSpec& op) {
  bool present = false;
  op.window = 0;   // full
  if (!eat_param(s, 'w', op.window, present)) return false;
  if (present && (op.window < 2 || op.window > kMaxWindow)) return false;
  return parse_heads(s, op);
}

bool no_params(std::string_view&, OpSpec&) { return true; }

std::string heads_suffix(const OpSpec& op) {
  return op.heads == kDefaultHeads ? "" : "_h" + std::to_string(op.heads);
}
std::string format_kernel(const OpSpec& op) { return std::to_string(op.kernel); }
std::string format_dilated(const OpSpec& op) {
  return std::to_string(op.kernel) + (op.dilation == kDefaultDilation ? "" : "_d" + std::to_string(op.dilation));
}
std::string format_local_attention(const OpSpec& op) { return "_w" + std::to_string(op.window) + heads_suffix(op); }
std::string format_cross_attention(const OpSpec& op) {
  return (op.window ? "_w" + std::to_string(op.window) : "") + heads_suffix(op);
}
std::string format_none(const OpSpec&) { return ""; }

double conv_flops(const OpSpec& op, int64_t d_model, int64_t t, int64_t) {
  const double d = static_cast<double>(d_model), tq = static_cast<double>(t);
  return 2.0 * tq * op.kernel * d * d;
}
double sep_conv_flops(const OpSpec& op, int64_t d_model, int64_t t, int64_t) {
  const double d = static_cast<double>(d_model), tq = static_cast<double>(t);
  return 2.0 * tq * (op.kernel * d + d * d);
}
// Projections of queries, keys/values and output, plus scores and mixing over the
// keys each query reads: its window (an efficient kernel computes only those).
// Pruned heads shrink every term to the kept heads' width.
double attention_flops(const OpSpec& op, int64_t d_model, int64_t t, int64_t key_len, bool cross) {
  const double d = static_cast<double>(d_model), tq = static_cast<double>(t);
  const double inner = static_cast<double>(attention_inner(op, d_model));
  const double keys = static_cast<double>(key_len);
  double per_query = keys;
  if (op.window > 0) per_query = std::min(keys, double(op.causal && !cross ? op.window : op.window + 1));
  else if (op.causal && !cross) per_query = (keys + 1) / 2;
  return 2.0 * tq * d * inner * 2 + 2.0 * keys * d * inner * 2 + 2.0 * tq * per_query * inner * 2;
}
double glu_flops(const OpSpec&, int64_t d_model, int64_t t, int64_t) {
  const double d = static_cast<double>(d_model), tq = static_cast<double>(t);
  return 2.0 * tq * d * 2 * d;
}
double ffn_flops(const OpSpec& op, int64_t d_model, int64_t t, int64_t) {
  const double d = static_cast<double>(d_model), tq = static_cast<double>(t);
  return 2.0 * tq * d * static_cast<double>(ffn_hidden(op, d_model)) * 2;
}
double no_flops(const OpSpec&, int64_t, int64_t, int64_t) { return 0; }

// Parameters: weights plus biases of the module's layers (evaluator/torch/op_modules.cpp).
// A convolution is one Conv1d d -> d (dilation adds none); a separable one a depthwise
// Conv1d (one k-tap filter per channel) and a pointwise Linear d -> d.
int64_t conv_params(const OpSpec& op, int64_t d) { return op.kernel * d * d + d; }
int64_t sep_conv_params(const OpSpec& op, int64_t d) { return (op.kernel * d + d) + (d * d + d); }
// Linear q (d -> i), kv (d -> 2i) and out (i -> d), whatever the window and heads;
// i = d unless heads were pruned (attention_inner).
int64_t attention_params(const OpSpec& op, int64_t d) {
  const int64_t i = attention_inner(op, d);
  return (d * i + i) + (2 * d * i + 2 * i) + (i * d + d);
}
int64_t glu_params(const OpSpec&, int64_t d) { return 2 * d * d + 2 * d; }   // Linear d -> 2d
int64_t ffn_params(const OpSpec& op, int64_t d) {
  const int64_t h = ffn_hidden(op, d);
  return (d * h + h) + (h * d + d);   // up d -> h, down h -> d
}
int64_t no_weights(const OpSpec&, int64_t) { return 0; }

// Cross-attention mixes positions of the *encoder* output only: for the decoder's
// own positions it is position-wise, which is why it is not a sequence op (and is
// legal in causal decoders without a causal form).
constexpr OpKind kOpKinds[] = {
    {.name = "conv", .syntax = "conv<k>", .sequence = true,
     .parse = parse_kernel, .format = format_kernel, .flops = conv_flops, .params = conv_params,
     .examples = "conv3 conv5 conv7"},
    {.name = "sep_conv", .syntax = "sep_conv<k>", .sequence = true,
     .parse = parse_kernel, .format = format_kernel, .flops = sep_conv_flops, .params = sep_conv_params,
     .examples = "sep_conv3 sep_conv5 sep_conv7"},
    {.name = "dilated_conv", .syntax = "dilated_conv<k>[_d<d>]", .sequence = true,
     .parse = parse_dilated, .format = format_dilated, .flops = conv_flops, .params = conv_params,
     .examples = "dilated_conv3 dilated_conv3_d4 dilated_conv5 dilated_conv5_d4"},
    {.name = "local_attention", .syntax = "local_attention_w<w>[_h<h>]", .sequence = true,
     .parse = parse_local_attention, .format = format_local_attention,
     .flops = [](const OpSpec& op, int64_t d, int64_t t, int64_t) { return attention_flops(op, d, t, t, false); },
     .params = attention_params,
     .examples = "local_attention_w8 local_attention_w16"},
    {.name = "cross_attention", .syntax = "cross_attention[_w<w>][_h<h>]", .needs_encoder = true,
     .parse = parse_cross_attention, .format = format_cross_attention,
     .flops = [](const OpSpec& op, int64_t d, int64_t t, int64_t s) { return attention_flops(op, d, t, s, true); },
     .params = attention_params,
     .examples = "cross_attention cross_attention_w8"},
    {.name = "glu", .syntax = "glu", .parse = no_params, .format = format_none, .flops = glu_flops, .params = glu_params,
     .examples = "glu"},
    {.name = "ffn", .syntax = "ffn", .parse = no_params, .format = format_none, .flops = ffn_flops, .params = ffn_params,
     .examples = "ffn"},
    {.name = "identity", .syntax = "identity", .parse = no_params, .format = format_none, .flops = no_flops,
     .params = no_weights, .examples = "identity"},
    {.name = kZeroOp, .syntax = kZeroOp, .parse = no_params, .format = format_none, .flops = no_flops,
     .params = no_weights, .examples = kZeroOp},
};

}  // namespace

std::span<const OpKind> op_kinds() { return kOpKinds; }

}  // namespace mctsnas
