#include "space/ops.h"

#include <charconv>

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

bool eat(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

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

std::string canonical_name(const OpSpec& op) {
  std::string p = op.causal ? "causal_" : "";
  switch (op.kind) {
    case OpKind::conv: return p + "conv" + std::to_string(op.kernel);
    case OpKind::sep_conv: return p + "sep_conv" + std::to_string(op.kernel);
    case OpKind::dilated_conv:
      return p + "dilated_conv" + std::to_string(op.kernel) +
             (op.dilation == kDefaultDilation ? "" : "_d" + std::to_string(op.dilation));
    case OpKind::local_attention:
      return p + "local_attention_w" + std::to_string(op.window) +
             (op.heads == kDefaultHeads ? "" : "_h" + std::to_string(op.heads));
    case OpKind::cross_attention:
      return std::string("cross_attention") + (op.window ? "_w" + std::to_string(op.window) : "") +
             (op.heads == kDefaultHeads ? "" : "_h" + std::to_string(op.heads));
    case OpKind::glu: return "glu";
    case OpKind::ffn: return "ffn";
    case OpKind::identity: return "identity";
    case OpKind::zero: return "zero";
  }
  return "?";
}

}  // namespace

// Position-wise ops (glu, ffn, identity, zero) never mix positions, so they are
// legal in any cell without a causal variant. Cross-attention mixes positions of
// the *encoder* output only: for the decoder's own positions it is position-wise,
// which is why it is not a sequence op (and is legal in causal decoders).
bool OpSpec::is_sequence_op() const {
  return kind == OpKind::conv || kind == OpKind::sep_conv || kind == OpKind::dilated_conv ||
         kind == OpKind::local_attention;
}

std::optional<OpSpec> parse_op(std::string_view name) {
  std::string_view s = name;
  OpSpec op;
  op.causal = eat(s, "causal_");
  bool present = false;
  if (eat(s, "sep_conv")) {
    op.kind = OpKind::sep_conv;
  } else if (eat(s, "dilated_conv")) {
    op.kind = OpKind::dilated_conv;
  } else if (eat(s, "conv")) {
    op.kind = OpKind::conv;
  } else if (eat(s, "local_attention")) {
    op.kind = OpKind::local_attention;
  } else if (eat(s, "cross_attention")) {
    op.kind = OpKind::cross_attention;
  } else {
    if (op.causal) return std::nullopt;  // position-wise ops have no causal variant
    if (s == "glu") op.kind = OpKind::glu;
    else if (s == "ffn") op.kind = OpKind::ffn;
    else if (s == "identity") op.kind = OpKind::identity;
    else if (s == "zero") op.kind = OpKind::zero;
    else return std::nullopt;
    op.heads = 0;
    op.name = canonical_name(op);
    return op;
  }

  switch (op.kind) {
    case OpKind::conv:
    case OpKind::sep_conv:
    case OpKind::dilated_conv: {
      auto k = eat_int(s);
      if (!k || *k < 3 || *k > kMaxKernel || *k % 2 == 0) return std::nullopt;
      op.kernel = *k;
      op.heads = 0;
      if (op.kind == OpKind::dilated_conv) {
        op.dilation = kDefaultDilation;
        if (!eat_param(s, 'd', op.dilation, present)) return std::nullopt;
        if (op.dilation < 2 || op.dilation > kMaxDilation) return std::nullopt;
      }
      break;
    }
    case OpKind::local_attention: {
      if (!eat(s, "_w")) return std::nullopt;  // a local attention needs its window
      auto w = eat_int(s);
      if (!w || *w < 2 || *w > kMaxWindow) return std::nullopt;
      op.window = *w;
      op.heads = kDefaultHeads;
      if (!eat_param(s, 'h', op.heads, present) || op.heads < 1 || op.heads > kMaxHeads)
        return std::nullopt;
      break;
    }
    case OpKind::cross_attention: {
      // The encoder output is all there when the decoder runs, so cross-attention
      // needs no causal variant; "causal_cross_attention" is a mistake.
      if (op.causal) return std::nullopt;
      op.window = 0;
      if (!eat_param(s, 'w', op.window, present)) return std::nullopt;
      if (present && (op.window < 2 || op.window > kMaxWindow)) return std::nullopt;
      op.heads = kDefaultHeads;
      if (!eat_param(s, 'h', op.heads, present) || op.heads < 1 || op.heads > kMaxHeads)
        return std::nullopt;
      break;
    }
    default: break;
  }
  if (!s.empty()) return std::nullopt;
  op.name = canonical_name(op);
  return op;
}

const std::vector<std::string>& op_names() {
  static const std::vector<std::string> names = {
      "conv3", "conv5", "conv7",
      "sep_conv3", "sep_conv5", "sep_conv7",
      "dilated_conv3", "dilated_conv3_d4", "dilated_conv5", "dilated_conv5_d4",
      "local_attention_w8", "local_attention_w16",
      "causal_conv3", "causal_conv5", "causal_conv7",
      "causal_sep_conv3", "causal_sep_conv5", "causal_sep_conv7",
      "causal_dilated_conv3", "causal_dilated_conv3_d4", "causal_dilated_conv5",
      "causal_dilated_conv5_d4",
      "causal_local_attention_w8", "causal_local_attention_w16",
      "cross_attention", "cross_attention_w8",
      "glu", "ffn", "identity", "zero",
  };
  return names;
}

}  // namespace mctsnas
