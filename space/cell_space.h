#pragma once
// The `cells` space: local-dependency encoder/decoder cells plus a macro skeleton.
//
// Decision sequence (what the search tree walks, in this order):
//   d_model, encoder_layers (models with an encoder), decoder_layers (models with
//   a decoder); then for each cell (encoder first), for each intermediate node k:
//     <cell>.node<k>.in0   first input: prev | prev2 | n0 .. n<k-1>
//     <cell>.node<k>.op0   op on the first input (the cell's op list)
//     <cell>.node<k>.in1   second input, or "none" for a single-input node
//     <cell>.node<k>.op1   op on the second input; "none" exactly when in1 is none
// Input labels: prev = the previous layer's output, prev2 = the one before it,
// n<j> = intermediate node j (CellArchitecture numbers them 0, 1, 2 + j).
//
// Legality (enforced by legal_choices, so every walk ends in a legal model):
//  - inputs come from earlier nodes only (no cycles);
//  - every node has at least one non-`zero` input edge, hence (by induction) every
//    node is reachable from the cell inputs through non-zero edges;
//  - ops illegal for the cell kind never appear: the constructor rejects them in
//    the config (causal ops in an encoder, non-causal sequence ops in a decoder,
//    cross_attention in an encoder or a decoder_only model);
//  - require_cross_attention (encoder_decoder only): the decoder cell's output
//    depends on the encoder through a live cross_attention edge. It can only fail
//    at the last node, so it is enforced there: at its in1 ("none" is refused when
//    it would leave no live cross-attention) and at its op1.
//
// The cell output combines every intermediate node that no edge consumes; an edge
// with the `zero` op still consumes its input (the builder reads edges literally).
#include <cstdint>
#include <string>
#include <vector>

#include "space/cell_architecture.h"
#include "space/ops.h"
#include "space/search_space.h"
#include "space/space_options.h"

namespace mctsnas {

enum class CellRole : uint8_t { encoder, decoder };

// Why `op` may not appear in a cell of this role ("" when it may).
// has_encoder: the model has an encoder for a decoder to attend to.
std::string op_illegal_reason(const OpSpec& op, CellRole role, bool has_encoder);

class CellSpace final : public SearchSpace {
 public:
  // Throws Error naming the config key (space.encoder.ops[2], space.macro.d_model, ...)
  // when the options are inconsistent.
  explicit CellSpace(CellSpaceOptions options);

  std::string kind() const override { return "cells"; }
  void legal_choices(std::span<const Choice> prefix, std::vector<Choice>& out) const override;
  std::vector<Architecture> neighbours(const Architecture& a) const override;
  void append_neighbours(std::span<const Choice> a, std::vector<Choice>& out) const override;
  uint64_t canonical_hash(const Architecture& a) const override;
  // One-line form, e.g.
  //   d_model=128|encoder_layers=2|decoder_layers=2|encoder=conv3(prev)+glu(prev2);ffn(n0)|decoder=...
  std::string key(const Architecture& a) const override;
  std::optional<Architecture> parse_key(std::string_view key) const override;
  // Exact (a counting recurrence over the decision sequence, not enumeration) while
  // the count fits a double's 53-bit mantissa; distinct_canonical is filled in by
  // enumerating each cell when that is small (<= 200,000 cells per role).
  SpaceSize size() const override;

  // Structured form. decode requires a legal architecture; encode throws Error
  // naming the node or edge at fault ("decoder.nodes[3].inputs[1].op: ...") when
  // `c` is not in this space.
  CellArchitecture decode(const Architecture& a) const;
  Architecture encode(const CellArchitecture& c) const;

  // Canonical text of the architecture: macro values plus each cell's canonical
  // form (see cell_graph.h). canonical_hash hashes this.
  std::string canonical_string(const Architecture& a) const;

  // Why `a` is not legal ("" when it is), naming the decision at fault.
  std::string illegal_reason(const Architecture& a) const;

  const CellSpaceOptions& options() const { return options_; }
  bool has_encoder() const { return options_.model != ModelKind::decoder_only; }
  bool has_decoder() const { return options_.model != ModelKind::encoder_only; }
  int nodes(CellRole r) const { return cell(r).nodes; }
  const std::vector<OpSpec>& ops(CellRole r) const { return cell(r).ops; }
  bool cross_attention_required() const { return require_cross_; }

  static const char* role_name(CellRole r) { return r == CellRole::encoder ? "encoder" : "decoder"; }
  // 0 -> "prev", 1 -> "prev2", 2 + j -> "n<j>"; parse_node_label is its inverse (-1 if malformed).
  static std::string node_label(int node);
  static int parse_node_label(std::string_view label);

 private:
  friend class CellCostModel;   // reads the decision layout and op lists (space/cell_cost.h)
  // in0 .. op1: a node's decisions, in this order (see the top of this file).
  enum class Slot : uint8_t { d_model, encoder_layers, decoder_layers, in0, op0, in1, op1 };
  static constexpr int kNodeDecisions = 4;
  struct DecisionInfo {
    Slot slot;
    CellRole role = CellRole::encoder;
    int node = 0;        // intermediate node index within the cell
    int cell_begin = 0;  // index of the cell's first decision
  };
  // Index of node k's `slot` decision in the cell whose first decision is `cell_begin`.
  static size_t node_decision(int cell_begin, int k, Slot slot) {
    return static_cast<size_t>(cell_begin + kNodeDecisions * k + static_cast<int>(slot) - static_cast<int>(Slot::in0));
  }
  // The choice of `slot` at the node of decision `d`, in a prefix that holds it.
  static Choice node_choice(std::span<const Choice> choices, const DecisionInfo& d, Slot slot) {
    return choices[node_decision(d.cell_begin, d.node, slot)];
  }
  struct CellInfo {
    int nodes = 0;
    std::vector<OpSpec> ops;
    int zero_op = -1;                  // index of `zero` in ops, -1 if absent
    std::vector<uint8_t> is_cross;     // per op: reads the encoder (OpKind::needs_encoder)
    int begin = -1;                    // first decision of this cell, -1 if absent
    std::string combine;
  };

  const CellInfo& cell(CellRole r) const { return r == CellRole::encoder ? enc_ : dec_; }
  int none_input(const CellInfo& c) const { return c.nodes + 1; }   // index of "none" in in1
  int none_op(const CellInfo& c) const { return static_cast<int>(c.ops.size()); }
  // Constructor parts: the options of one cell (checked, into enc_ or dec_), one op
  // of its list (`key` names it), and the decisions.
  void read_cell_options(CellRole r);
  OpSpec checked_op(CellRole r, const std::string& key, const std::string& name, const CellInfo& c) const;
  void add_macro_decision(const char* name, const std::vector<int>& values, Slot slot);
  void add_cell_decisions(CellRole r);
  void validate_cell(CellRole r, const std::string& key) const;
  // encode's part for one cell: appends its choices to `a`.
  void encode_cell(CellRole r, const Cell& cell, Architecture& a) const;
  // Index of op `name` in the cell's list, -1 if absent; the list as text.
  static int op_index(const CellInfo& c, const std::string& name);
  static std::string op_list(const CellInfo& c);
  // Encoder-dependence (xa) and not-yet-consumed (open) bitmasks of the nodes
  // before the last one of cell c, from `choices` (a prefix holding them).
  void last_node_cross_state(std::span<const Choice> choices, const CellInfo& c, uint64_t& xa,
                             uint64_t& open) const;
  double count_cell(const CellInfo& c, bool need_cross) const;
  Cell decode_cell(const Architecture& a, CellRole r) const;

  CellSpaceOptions options_;
  CellInfo enc_, dec_;
  bool require_cross_ = false;
  std::vector<DecisionInfo> info_;
  std::vector<std::vector<Choice>> static_choices_;  // per decision: choices that need no context
  int macro_decisions_ = 0;
};

}  // namespace mctsnas
