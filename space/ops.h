#pragma once
// The operation vocabulary of the cell space. An op is named in the config by a
// string that carries its parameters, e.g. "conv5", "dilated_conv3_d4",
// "local_attention_w8", "causal_local_attention_w16_h4", "cross_attention",
// "cross_attention_w8". The vocabulary is data: adding an op is one entry here
// (plus its LibTorch builder in evaluator/torch/), never a change to search/.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mctsnas {

enum class OpKind {
  conv,             // standard 1-D convolution over time, kernel k
  sep_conv,         // depthwise-separable convolution, kernel k
  dilated_conv,     // 1-D convolution, kernel k, dilation d
  local_attention,  // self-attention restricted to a window of w positions
  cross_attention,  // attention to the encoder output (full when window == 0)
  glu,              // gated linear unit
  ffn,              // position-wise feed-forward
  identity,
  zero,
};

struct OpSpec {
  std::string name;      // canonical config name
  OpKind kind = OpKind::identity;
  int kernel = 0;        // convolutions
  int dilation = 1;      // dilated_conv
  int window = 0;        // attention: window size (0 = full, cross-attention only)
  int heads = 4;         // attention heads
  bool causal = false;   // only looks at positions <= t (decoder ops)

  bool is_sequence_op() const;  // mixes information across positions
};

// Parses an op name; nullopt when it is not in the vocabulary.
std::optional<OpSpec> parse_op(std::string_view name);

// Every op name the vocabulary offers with default parameters (for help and
// did-you-mean suggestions).
const std::vector<std::string>& op_names();

}  // namespace mctsnas
