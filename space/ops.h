#pragma once
// The operation vocabulary of the cell space. An op is named in the config by a
// string that carries its parameters, e.g. "conv5", "dilated_conv3_d4",
// "local_attention_w8", "causal_local_attention_w16_h4", "cross_attention",
// "cross_attention_w8". The vocabulary is data: one OpKind entry per kind in
// space/op_table.cpp (plus its LibTorch builder in evaluator/torch/op_modules.cpp),
// never a change to search/ (DESIGN.md, "Adding an op").
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mctsnas {

struct OpSpec;

// One kind of op and everything the space knows about it.
struct OpKind {
  std::string_view name;     // the front of every op name of this kind; model.json's spec.kind
  std::string_view syntax;   // how its names are written, for error messages: "dilated_conv<k>[_d<d>]"
  // Mixes information across positions. In a decoder such an op must not read the
  // future, so a sequence op has a causal_ form and only that form is legal there;
  // the other ops have no causal_ form.
  bool sequence = false;
  // Reads the encoder output: legal only in decoder cells of encoder_decoder models,
  // and what space.require_cross_attention asks the decoder to use.
  bool needs_encoder = false;
  // Reads the parameters that follow the name ("5", "3_d4", "_w8_h2") into `op`,
  // advancing `rest`; false when they are malformed or out of range.
  bool (*parse)(std::string_view& rest, OpSpec& op) = nullptr;
  // The parameters as they follow the name in the canonical name (defaults dropped).
  std::string (*format)(const OpSpec& op) = nullptr;
  // Forward multiply-adds x2 of one op for d_model, query length t and key length s.
  double (*flops)(const OpSpec& op, int64_t d_model, int64_t t, int64_t s) = nullptr;
  // Trainable parameters of one op for d_model: exactly the numel of the tensors its
  // LibTorch module registers (tests/torch_op_table_test.cpp checks every listed name).
  int64_t (*params)(const OpSpec& op, int64_t d_model) = nullptr;
  // Names with typical parameters, separated by spaces (encoder forms; op_names
  // adds the causal_ ones).
  std::string_view examples;
};

struct OpSpec {
  std::string name;                // canonical config name
  const OpKind* kind = nullptr;    // an entry of op_kinds()
  int kernel = 0;        // convolutions
  int dilation = 1;      // dilated_conv
  int window = 0;        // attention: window size (0 = full, cross-attention only)
  int heads = 0;         // attention heads (0: not an attention op)
  bool causal = false;   // only looks at positions <= t (decoder ops)
  // The units structured pruning (compress's prune variant) kept: an ffn's hidden
  // units, an attention op's heads (each still d_model / heads wide). 0: all of them.
  // Not part of the name: a pruned model's widths differ from layer to layer, so they
  // travel per op instance (ModelSpec::op_units, model.json "op_units").
  int units = 0;

  bool is_sequence_op() const { return kind->sequence; }
};

// The op that adds nothing (DARTS' `none`): an edge carrying it counts as no edge
// for legality, the canonical form and the builders. It is part of the cell
// formalism rather than an ordinary op, so the space refers to it by name.
inline constexpr std::string_view kZeroOp = "zero";

// The position-wise feed-forward op's hidden width, in multiples of d_model.
inline constexpr int64_t kFfnExpansion = 4;

// An ffn's hidden width: kFfnExpansion * d_model, or the units pruning kept.
inline int64_t ffn_hidden(const OpSpec& op, int64_t d_model) {
  return op.units > 0 ? op.units : kFfnExpansion * d_model;
}
// The heads an attention op computes: all of them, or those pruning kept.
inline int attention_kept_heads(const OpSpec& op) { return op.units > 0 ? op.units : op.heads; }
// An attention op's query/key/value width: d_model, or the kept heads' share of it.
inline int64_t attention_inner(const OpSpec& op, int64_t d_model) {
  return op.units > 0 ? op.units * (d_model / op.heads) : d_model;
}

// Every op kind, in the order op names are listed (space/op_table.cpp).
std::span<const OpKind> op_kinds();
// The kind called `name`; nullptr when there is none.
const OpKind* find_op_kind(std::string_view name);

// Parses an op name; nullopt when it is not in the vocabulary.
std::optional<OpSpec> parse_op(std::string_view name);

// Every op name the vocabulary offers with typical parameters (for help and
// did-you-mean suggestions): the sequence ops, their causal_ forms, the others.
const std::vector<std::string>& op_names();
// How op names are written, e.g. "conv<k>, ..., their causal_ variants, glu, ...".
std::string op_syntax();

// Forward multiply-adds x2 of one op for d_model, query length t and key length s.
double op_flops(const OpSpec& spec, int64_t d_model, int64_t t, int64_t s);
// Trainable parameters of one op for d_model.
int64_t op_params(const OpSpec& spec, int64_t d_model);

}  // namespace mctsnas
