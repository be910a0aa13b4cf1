#include "space/cell_space.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <utility>

#include "common/error.h"
#include "common/strings.h"
#include "space/cell_graph.h"

namespace mctsnas {
namespace {

constexpr double kExactLimit = 9007199254740992.0;  // 2^53
constexpr double kEnumerateCells = 200000;

uint64_t bit(int node) { return uint64_t{1} << node; }

std::string list_str(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s;
}

}  // namespace

std::string op_illegal_reason(const OpSpec& op, CellRole role, bool has_encoder) {
  if (role == CellRole::encoder) {
    if (op.kind->needs_encoder)
      return std::string(op.kind->name) + " attends to the encoder output and so belongs in a decoder cell";
    if (op.causal) return "causal ops belong in decoder cells; an encoder sees the whole input";
    return "";
  }
  if (op.kind->needs_encoder && !has_encoder) return "a decoder_only model has no encoder to attend to";
  if (op.is_sequence_op() && !op.causal)
    return "a decoder cell must not look ahead: use its causal variant 'causal_" + op.name + "'";
  return "";
}

std::string CellSpace::node_label(int node) {
  if (node == 0) return "prev";
  if (node == 1) return "prev2";
  return "n" + std::to_string(node - 2);
}

int CellSpace::parse_node_label(std::string_view label) {
  if (label == "prev") return 0;
  if (label == "prev2") return 1;
  if (label.size() < 2 || label[0] != 'n' || label.size() > 4) return -1;
  if (label.size() > 2 && label[1] == '0') return -1;
  int v = 0;
  for (char c : label.substr(1)) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v + 2;
}

void CellSpace::validate_cell(CellRole r, const std::string& key) const {
  const CellOptions& o = r == CellRole::encoder ? options_.encoder : options_.decoder;
  if (o.ops.empty()) throw Error(key + ".ops: the list is empty (expected op names, e.g. conv3, glu, ffn)");
}

namespace {

// A macro list: non-empty, every value >= min, none listed twice.
void check_macro_values(const std::vector<int>& v, const std::string& key, int min) {
  if (v.empty()) throw Error(key + ": the list is empty");
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] < min)
      throw Error(key + "[" + std::to_string(i) + "]: " + std::to_string(v[i]) + " is out of range (expected >= " +
                  std::to_string(min) + ")");
    for (size_t j = 0; j < i; ++j)
      if (v[j] == v[i]) throw Error(key + "[" + std::to_string(i) + "]: " + std::to_string(v[i]) + " is listed twice");
  }
}

}  // namespace

CellSpace::CellSpace(CellSpaceOptions options) : options_(std::move(options)) {
  require_cross_ = options_.require_cross_attention && options_.model == ModelKind::encoder_decoder;
  check_macro_values(options_.macro.d_model, "space.macro.d_model", 1);
  if (has_encoder()) check_macro_values(options_.macro.encoder_layers, "space.macro.encoder_layers", 1);
  if (has_decoder()) check_macro_values(options_.macro.decoder_layers, "space.macro.decoder_layers", 1);
  if (has_encoder()) read_cell_options(CellRole::encoder);
  if (has_decoder()) read_cell_options(CellRole::decoder);

  add_macro_decision("d_model", options_.macro.d_model, Slot::d_model);
  if (has_encoder()) add_macro_decision("encoder_layers", options_.macro.encoder_layers, Slot::encoder_layers);
  if (has_decoder()) add_macro_decision("decoder_layers", options_.macro.decoder_layers, Slot::decoder_layers);
  macro_decisions_ = num_decisions();
  if (has_encoder()) add_cell_decisions(CellRole::encoder);
  if (has_decoder()) add_cell_decisions(CellRole::decoder);
}

OpSpec CellSpace::checked_op(CellRole r, const std::string& key, const std::string& name, const CellInfo& c) const {
  auto op = parse_op(name);
  if (!op) {
    std::string hint = closest_match(name, op_names());
    throw Error(key + ": unknown op '" + name + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                "; ops are " + op_syntax());
  }
  std::string why = op_illegal_reason(*op, r, has_encoder());
  if (!why.empty()) throw Error(key + ": op '" + name + "' is not allowed in the " + role_name(r) + ": " + why);
  for (const auto& prev : c.ops)
    if (prev.name == op->name) throw Error(key + ": op '" + name + "' is listed twice (as '" + prev.name + "')");
  if (op->heads > 0)
    for (int d : options_.macro.d_model)
      if (d % op->heads != 0)
        throw Error(key + ": op '" + name + "' has " + std::to_string(op->heads) +
                    " heads, which do not divide space.macro.d_model " + std::to_string(d));
  return *op;
}

void CellSpace::read_cell_options(CellRole r) {
  const std::string key = std::string("space.") + role_name(r);
  validate_cell(r, key);
  const CellOptions& o = r == CellRole::encoder ? options_.encoder : options_.decoder;
  CellInfo& c = r == CellRole::encoder ? enc_ : dec_;
  c.nodes = o.nodes;
  c.combine = name_of(o.combine);
  for (size_t i = 0; i < o.ops.size(); ++i) {
    OpSpec op = checked_op(r, key + ".ops[" + std::to_string(i) + "]", o.ops[i], c);
    if (op.name == kZeroOp) c.zero_op = static_cast<int>(c.ops.size());
    c.is_cross.push_back(op.kind->needs_encoder);
    c.ops.push_back(std::move(op));
  }
  if (std::all_of(c.ops.begin(), c.ops.end(), [](const OpSpec& op) { return op.name == kZeroOp; }))
    throw Error(key + ".ops: every op is `zero`; a cell needs at least one other op");
  if (r == CellRole::decoder && require_cross_ && std::find(c.is_cross.begin(), c.is_cross.end(), 1) == c.is_cross.end())
    throw Error(key + ".ops: space.require_cross_attention is set but no cross_attention op is listed "
                      "(add cross_attention, or set require_cross_attention: false)");
}

void CellSpace::add_macro_decision(const char* name, const std::vector<int>& values, Slot slot) {
  Decision d{name, {}};
  std::vector<Choice> all;
  for (size_t i = 0; i < values.size(); ++i) {
    d.choices.push_back(std::to_string(values[i]));
    all.push_back(static_cast<Choice>(i));
  }
  decisions_.push_back(std::move(d));
  info_.push_back(DecisionInfo{slot});
  static_choices_.push_back(std::move(all));
}

void CellSpace::add_cell_decisions(CellRole r) {
  CellInfo& c = r == CellRole::encoder ? enc_ : dec_;
  c.begin = num_decisions();
  std::vector<std::string> inputs, op_labels;
  for (int v = 0; v <= c.nodes; ++v) inputs.push_back(node_label(v));
  for (const auto& op : c.ops) op_labels.push_back(op.name);
  std::vector<std::string> inputs1 = inputs, op_labels1 = op_labels;
  inputs1.push_back("none");
  op_labels1.push_back("none");
  std::vector<Choice> all_ops;
  for (size_t i = 0; i < c.ops.size(); ++i) all_ops.push_back(static_cast<Choice>(i));
  const std::string prefix = role_name(r);
  for (int k = 0; k < c.nodes; ++k) {
    const std::string p = prefix + ".node" + std::to_string(k) + ".";
    std::vector<Choice> earlier;
    for (int v = 0; v < k + 2; ++v) earlier.push_back(static_cast<Choice>(v));
    std::vector<Choice> earlier_or_none = earlier;
    earlier_or_none.push_back(static_cast<Choice>(none_input(c)));
    auto add = [&](Slot slot, const char* name, const std::vector<std::string>& labels, std::vector<Choice> legal) {
      MCTSNAS_CHECK(static_cast<size_t>(num_decisions()) == node_decision(c.begin, k, slot),
                    "cell decisions out of their order");
      decisions_.push_back(Decision{p + name, labels});
      info_.push_back(DecisionInfo{slot, r, k, c.begin});
      static_choices_.push_back(std::move(legal));
    };
    add(Slot::in0, "in0", inputs, earlier);
    add(Slot::op0, "op0", op_labels, all_ops);
    add(Slot::in1, "in1", inputs1, earlier_or_none);
    add(Slot::op1, "op1", op_labels1, all_ops);
  }
}

// Scans the nodes before the last one. xa: nodes whose value depends on the
// encoder (through a non-zero path from a cross_attention edge); open: nodes no
// edge has consumed so far. Bits are CellArchitecture node numbers.
void CellSpace::last_node_cross_state(std::span<const Choice> choices, const CellInfo& c, uint64_t& xa,
                                      uint64_t& open) const {
  xa = 0;
  open = 0;
  const int last = c.nodes - 1;
  for (int k = 0; k < last; ++k) {
    auto at = [&](Slot slot) -> int { return choices[node_decision(c.begin, k, slot)]; };
    const int a = at(Slot::in0), p = at(Slot::op0), b = at(Slot::in1), q = at(Slot::op1);
    open &= ~bit(a);
    bool x = p != c.zero_op && (c.is_cross[static_cast<size_t>(p)] || (xa & bit(a)));
    if (b != none_input(c)) {
      open &= ~bit(b);
      x = x || (q != c.zero_op && (c.is_cross[static_cast<size_t>(q)] || (xa & bit(b))));
    }
    if (x) xa |= bit(k + 2);
    open |= bit(k + 2);
  }
}

void CellSpace::legal_choices(std::span<const Choice> prefix, std::vector<Choice>& out) const {
  const size_t i = prefix.size();
  MCTSNAS_CHECK(i < info_.size(), "legal_choices past the last decision");
  const DecisionInfo& d = info_[i];
  const auto& stat = static_choices_[i];
  if (d.slot != Slot::in1 && d.slot != Slot::op1) {
    out.assign(stat.begin(), stat.end());
    return;
  }
  const CellInfo& c = cell(d.role);
  const Choice op0 = node_choice(prefix, d, Slot::op0);
  const bool op0_zero = op0 == c.zero_op;
  const bool cross_check = d.role == CellRole::decoder && require_cross_ && d.node == c.nodes - 1;
  // Cross-attention state of the last decoder node (only computed there).
  bool satisfied = true;
  uint64_t xa = 0;
  if (cross_check) {
    uint64_t open = 0;
    last_node_cross_state(prefix, c, xa, open);
    const int a = node_choice(prefix, d, Slot::in0);
    open &= ~bit(a);
    if (d.slot == Slot::op1) open &= ~bit(node_choice(prefix, d, Slot::in1));
    satisfied = (open & xa) != 0 || (!op0_zero && (c.is_cross[op0] || (xa & bit(a))));
  }
  out.clear();
  if (d.slot == Slot::in1) {
    for (Choice v : stat) {
      if (v == none_input(c) && (op0_zero || !satisfied)) continue;
      out.push_back(v);
    }
    return;
  }
  const Choice in1 = node_choice(prefix, d, Slot::in1);
  if (in1 == none_input(c)) {
    out.push_back(static_cast<Choice>(none_op(c)));
    return;
  }
  const bool b_xa = (xa & bit(in1)) != 0;
  for (Choice q : stat) {
    const bool q_zero = q == c.zero_op;
    if (op0_zero && q_zero) continue;
    if (!satisfied && (q_zero || !(c.is_cross[q] || b_xa))) continue;
    out.push_back(q);
  }
}

Cell CellSpace::decode_cell(const Architecture& a, CellRole r) const {
  const CellInfo& c = cell(r);
  Cell cell;
  cell.combine = c.combine;
  cell.nodes.resize(static_cast<size_t>(c.nodes));
  for (int k = 0; k < c.nodes; ++k) {
    auto& inputs = cell.nodes[static_cast<size_t>(k)].inputs;
    // One edge per (input, op) decision pair; in1 = none: a single-input node.
    for (auto [in, op] : {std::pair{Slot::in0, Slot::op0}, std::pair{Slot::in1, Slot::op1}}) {
      const size_t at = node_decision(c.begin, k, in);
      const Choice from = a.choices[at], what = a.choices[node_decision(c.begin, k, op)];
      if (in == Slot::in1 && from == none_input(c)) break;
      MCTSNAS_CHECK(from < k + 2 && what < c.ops.size(), "decode: choice out of range at " + decisions_[at].name);
      inputs.push_back(CellEdge{from, c.ops[what].name});
    }
  }
  return cell;
}

CellArchitecture CellSpace::decode(const Architecture& a) const {
  MCTSNAS_CHECK(a.choices.size() == decisions_.size(), "decode: wrong number of choices");
  CellArchitecture out;
  out.model = name_of(options_.model);
  int i = 0;
  auto macro = [&](const std::vector<int>& values) {
    MCTSNAS_CHECK(a.choices[static_cast<size_t>(i)] < values.size(), "decode: macro choice out of range");
    return values[a.choices[static_cast<size_t>(i++)]];
  };
  out.d_model = macro(options_.macro.d_model);
  if (has_encoder()) out.encoder_layers = macro(options_.macro.encoder_layers);
  if (has_decoder()) out.decoder_layers = macro(options_.macro.decoder_layers);
  if (has_encoder()) out.encoder = decode_cell(a, CellRole::encoder);
  if (has_decoder()) out.decoder = decode_cell(a, CellRole::decoder);
  return out;
}

Architecture CellSpace::encode(const CellArchitecture& ca) const {
  const std::string model(name_of(options_.model));
  if (ca.model != model) throw Error("model: '" + ca.model + "' does not match the space's model '" + model + "'");
  Architecture a;
  a.choices.reserve(decisions_.size());
  auto macro = [&](const char* key, int value, const std::vector<int>& values) {
    auto it = std::find(values.begin(), values.end(), value);
    if (it == values.end())
      throw Error(std::string(key) + ": " + std::to_string(value) + " is not one of the space's choices (" +
                  list_str(values) + ")");
    a.choices.push_back(static_cast<Choice>(it - values.begin()));
  };
  macro("d_model", ca.d_model, options_.macro.d_model);
  if (has_encoder()) macro("encoder_layers", ca.encoder_layers, options_.macro.encoder_layers);
  else if (ca.encoder_layers != 0 || !ca.encoder.nodes.empty())
    throw Error("encoder: a " + model + " model has no encoder (expected encoder_layers 0 and no encoder cell)");
  if (has_decoder()) macro("decoder_layers", ca.decoder_layers, options_.macro.decoder_layers);
  else if (ca.decoder_layers != 0 || !ca.decoder.nodes.empty())
    throw Error("decoder: a " + model + " model has no decoder (expected decoder_layers 0 and no decoder cell)");
  if (has_encoder()) encode_cell(CellRole::encoder, ca.encoder, a);
  if (has_decoder()) encode_cell(CellRole::decoder, ca.decoder, a);
  std::string why = illegal_reason(a);
  if (!why.empty()) throw Error(why);
  return a;
}

void CellSpace::encode_cell(CellRole r, const Cell& cl, Architecture& a) const {
  const CellInfo& c = cell(r);
  const std::string key = role_name(r);
  if (cl.combine != c.combine)
    throw Error(key + ".combine: '" + cl.combine + "' does not match the space's '" + c.combine + "'");
  if (static_cast<int>(cl.nodes.size()) != c.nodes)
    throw Error(key + ".nodes: " + std::to_string(cl.nodes.size()) + " nodes, but the space's " + key +
                " cells have " + std::to_string(c.nodes));
  for (int k = 0; k < c.nodes; ++k) {
    const std::string nk = key + ".nodes[" + std::to_string(k) + "]";
    const auto& inputs = cl.nodes[static_cast<size_t>(k)].inputs;
    if (inputs.empty() || inputs.size() > 2)
      throw Error(nk + ".inputs: " + std::to_string(inputs.size()) + " inputs (expected 1 or 2)");
    bool all_zero = true;
    for (size_t s = 0; s < inputs.size(); ++s) {
      const std::string ek = nk + ".inputs[" + std::to_string(s) + "]";
      const CellEdge& e = inputs[s];
      if (e.from < 0 || e.from >= k + 2)
        throw Error(ek + ".from: " + (e.from >= 2 ? "'" + node_label(e.from) + "'" : std::to_string(e.from)) +
                    " is not an earlier node (node n" + std::to_string(k) + " may take prev, prev2" +
                    (k > 0 ? " or n0 .. n" + std::to_string(k - 1) : "") + ")");
      const int op = op_index(c, e.op);
      if (op < 0) throw Error(ek + ".op: '" + e.op + "' is not one of the space's " + key + " ops (" + op_list(c) + ")");
      all_zero &= op == c.zero_op;
      a.choices.push_back(static_cast<Choice>(e.from));   // in<s>
      a.choices.push_back(static_cast<Choice>(op));       // op<s>
    }
    if (inputs.size() == 1) {
      a.choices.push_back(static_cast<Choice>(none_input(c)));
      a.choices.push_back(static_cast<Choice>(none_op(c)));
    }
    if (all_zero)
      throw Error(nk + ": every input edge is `zero`; a node needs at least one other op (or it computes nothing)");
  }
}

int CellSpace::op_index(const CellInfo& c, const std::string& name) {
  auto spec = parse_op(name);
  int op = -1;
  for (size_t o = 0; o < c.ops.size(); ++o)
    if (spec && c.ops[o].name == spec->name) op = static_cast<int>(o);
  return op;
}

std::string CellSpace::op_list(const CellInfo& c) {
  std::vector<std::string> names;
  for (const auto& o : c.ops) names.push_back(o.name);
  return join(names, ", ");
}

std::string CellSpace::illegal_reason(const Architecture& a) const {
  if (a.choices.size() != decisions_.size())
    return "architecture has " + std::to_string(a.choices.size()) + " choices, the space has " +
           std::to_string(decisions_.size()) + " decisions";
  std::vector<Choice> legal;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    legal_choices(std::span(a.choices.data(), i), legal);
    if (std::find(legal.begin(), legal.end(), a.choices[i]) != legal.end()) continue;
    const Decision& d = decisions_[i];
    const std::string label = a.choices[i] < d.choices.size() ? d.choices[a.choices[i]] : std::to_string(a.choices[i]);
    const DecisionInfo& di = info_[i];
    std::string node = std::string(role_name(di.role)) + ".nodes[" + std::to_string(di.node) + "]";
    if ((di.slot == Slot::in1 || di.slot == Slot::op1) && di.role == CellRole::decoder && require_cross_ &&
        di.node == dec_.nodes - 1) {
      // Distinguish the cross-attention rule from the zero rule.
      bool op0_zero = node_choice(a.choices, di, Slot::op0) == dec_.zero_op;
      bool zero_rule = op0_zero && (label == "none" || label == "zero");
      if (!zero_rule)
        return "decoder: no cross_attention edge reaches the decoder cell's output, but space.require_cross_attention "
               "is set (the decoder must attend to the encoder at least once)";
    }
    if (di.slot == Slot::in1 || di.slot == Slot::op1)
      return node + ": every input edge is `zero`; a node needs at least one other op";
    return "decision " + d.name + ": choice '" + label + "' is not legal here";
  }
  return "";
}

std::string CellSpace::canonical_string(const Architecture& a) const {
  CellArchitecture c = decode(a);
  std::string s = "model=" + c.model + ";d_model=" + std::to_string(c.d_model);
  if (has_encoder()) s += ";encoder_layers=" + std::to_string(c.encoder_layers) + ";encoder=" + canonical_cell_form(c.encoder);
  if (has_decoder()) s += ";decoder_layers=" + std::to_string(c.decoder_layers) + ";decoder=" + canonical_cell_form(c.decoder);
  return s;
}

uint64_t CellSpace::canonical_hash(const Architecture& a) const {
  std::string s = canonical_string(a);
  uint64_t h = 0x6a09e667f3bcc909ULL;
  for (unsigned char ch : s) h = hash_combine(h, ch);
  return h;
}

void CellSpace::append_neighbours(std::span<const Choice> a, std::vector<Choice>& out) const {
  for (const Architecture& n : neighbours(Architecture{std::vector<Choice>(a.begin(), a.end())}))
    out.insert(out.end(), n.choices.begin(), n.choices.end());
}

std::vector<Architecture> CellSpace::neighbours(const Architecture& a) const {
  std::vector<Architecture> out;
  std::vector<Choice> legal;
  Architecture n;
  auto try_add = [&](Architecture&& cand) {
    if (is_legal(cand)) out.push_back(std::move(cand));
  };
  for (size_t i = 0; i < a.choices.size(); ++i) {
    legal_choices(std::span(a.choices.data(), i), legal);
    const DecisionInfo& d = info_[i];
    if (d.slot == Slot::op1 && node_choice(a.choices, d, Slot::in1) == none_input(cell(d.role)))
      continue;  // no edge to change
    for (Choice ch : legal) {
      if (ch == a.choices[i]) continue;
      n = a;
      n.choices[i] = ch;
      if (d.slot == Slot::in1) {
        const CellInfo& c = cell(d.role);
        const bool was_none = a.choices[i] == none_input(c);
        const size_t op1 = node_decision(d.cell_begin, d.node, Slot::op1);
        if (ch == none_input(c)) {
          // Removing the second input removes its op too.
          n.choices[op1] = static_cast<Choice>(none_op(c));
        } else if (was_none) {
          // Adding a second input: one neighbour per op it can carry.
          std::vector<Choice> ops;
          legal_choices(std::span(n.choices.data(), op1), ops);
          for (Choice q : ops) {
            Architecture m = n;
            m.choices[op1] = q;
            try_add(std::move(m));
          }
          continue;
        }
      }
      try_add(std::move(n));
    }
  }
  return out;
}

std::string CellSpace::key(const Architecture& a) const {
  CellArchitecture c = decode(a);
  std::string s = "d_model=" + std::to_string(c.d_model);
  if (has_encoder()) s += "|encoder_layers=" + std::to_string(c.encoder_layers);
  if (has_decoder()) s += "|decoder_layers=" + std::to_string(c.decoder_layers);
  auto cell_str = [](const Cell& cell) {
    std::string t;
    for (size_t k = 0; k < cell.nodes.size(); ++k) {
      if (k) t += ";";
      const auto& in = cell.nodes[k].inputs;
      for (size_t s = 0; s < in.size(); ++s) t += (s ? "+" : "") + in[s].op + "(" + node_label(in[s].from) + ")";
    }
    return t;
  };
  if (has_encoder()) s += "|encoder=" + cell_str(c.encoder);
  if (has_decoder()) s += "|decoder=" + cell_str(c.decoder);
  return s;
}

std::optional<Architecture> CellSpace::parse_key(std::string_view key) const {
  CellArchitecture c;
  c.model = name_of(options_.model);
  c.encoder.combine = enc_.combine;
  c.decoder.combine = dec_.combine;
  auto parts = split(key, '|');
  std::vector<std::string> expected = {"d_model"};
  if (has_encoder()) expected.push_back("encoder_layers");
  if (has_decoder()) expected.push_back("decoder_layers");
  if (has_encoder()) expected.push_back("encoder");
  if (has_decoder()) expected.push_back("decoder");
  if (parts.size() != expected.size()) return std::nullopt;
  auto parse_int = [](std::string_view s) -> std::optional<int> {
    if (s.empty() || s.size() > 9) return std::nullopt;
    int v = 0;
    for (char ch : s) {
      if (ch < '0' || ch > '9') return std::nullopt;
      v = v * 10 + (ch - '0');
    }
    return v;
  };
  auto parse_cell = [](std::string_view s, Cell& cell) {
    for (const auto& node : split(s, ';')) {
      CellNode n;
      for (const auto& edge : split(node, '+')) {
        size_t open = edge.find('(');
        if (open == std::string::npos || edge.size() < open + 2 || edge.back() != ')') return false;
        int from = parse_node_label(std::string_view(edge).substr(open + 1, edge.size() - open - 2));
        if (from < 0) return false;
        n.inputs.push_back(CellEdge{from, edge.substr(0, open)});
      }
      cell.nodes.push_back(std::move(n));
    }
    return true;
  };
  for (size_t i = 0; i < parts.size(); ++i) {
    size_t eq = parts[i].find('=');
    if (eq == std::string::npos || parts[i].substr(0, eq) != expected[i]) return std::nullopt;
    std::string_view value = std::string_view(parts[i]).substr(eq + 1);
    const std::string& name = expected[i];
    if (name == "encoder" || name == "decoder") {
      if (!parse_cell(value, name == "encoder" ? c.encoder : c.decoder)) return std::nullopt;
      continue;
    }
    auto v = parse_int(value);
    if (!v) return std::nullopt;
    (name == "d_model" ? c.d_model : name == "encoder_layers" ? c.encoder_layers : c.decoder_layers) = *v;
  }
  try {
    return encode(c);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Counting recurrence. Without the cross-attention rule every node is independent:
// node k has m = k + 2 possible inputs and O ops (z = 1 if `zero` is one of them):
//   single input: m (O - z);  two inputs: m^2 (O^2 - z)   (not both edges zero).
// With the rule, the count also depends on which earlier nodes depend on the
// encoder (X of them) and how many of those are still unconsumed (s); the state
// (X, s) is enough because inputs are interchangeable within those classes.
double CellSpace::count_cell(const CellInfo& c, bool need_cross) const {
  const double O = static_cast<double>(c.ops.size());
  const double z = c.zero_op >= 0 ? 1 : 0;
  if (!need_cross) {
    double n = 1;
    for (int k = 0; k < c.nodes; ++k) {
      double m = k + 2;
      n *= m * (O - z) + m * m * (O * O - z);
    }
    return n;
  }
  double cross_ops = 0;
  for (auto x : c.is_cross) cross_ops += x;
  enum { S = 0, XC = 1, N = 2 };   // input classes: encoder-dependent open, encoder-dependent consumed, other
  enum { C = 0, Z = 1, R = 2 };    // op classes: cross-attention, zero, the rest
  const double op_count[3] = {cross_ops, z, O - cross_ops - z};
  auto edge_xa = [](int op, int in) { return op == C || (op == R && in != N); };
  const int n = c.nodes;
  // dp[X][s]
  std::vector<std::vector<double>> dp(static_cast<size_t>(n) + 1, std::vector<double>(static_cast<size_t>(n) + 1, 0));
  dp[0][0] = 1;
  double total_last = 0;
  for (int k = 0; k < n; ++k) {
    const bool last = k == n - 1;
    std::vector<std::vector<double>> next(dp.size(), std::vector<double>(dp.size(), 0));
    const int m = k + 2;
    for (int X = 0; X <= k; ++X)
      for (int s = 0; s <= X; ++s) {
        const double w = dp[static_cast<size_t>(X)][static_cast<size_t>(s)];
        if (w == 0) continue;
        const double in_count[3] = {static_cast<double>(s), static_cast<double>(X - s), static_cast<double>(m - X)};
        auto add = [&](double ways, bool xa, int removed) {
          if (ways == 0) return;
          if (last) {
            if (xa || s - removed > 0) total_last += w * ways;
            return;
          }
          next[static_cast<size_t>(X + xa)][static_cast<size_t>(s - removed + xa)] += w * ways;
        };
        for (int ia = 0; ia < 3; ++ia)
          for (int pa = 0; pa < 3; ++pa) {
            if (pa != Z) add(in_count[ia] * op_count[pa], edge_xa(pa, ia), ia == S);
            for (int ib = 0; ib < 3; ++ib)
              for (int pb = 0; pb < 3; ++pb) {
                if (pa == Z && pb == Z) continue;
                const double ops = op_count[pa] * op_count[pb];
                const bool xa = edge_xa(pa, ia) || edge_xa(pb, ib);
                if (ia != ib) {
                  add(in_count[ia] * in_count[ib] * ops, xa, (ia == S) + (ib == S));
                } else {
                  add(in_count[ia] * ops, xa, ia == S);                             // the same node twice
                  add(in_count[ia] * (in_count[ia] - 1) * ops, xa, 2 * (ia == S));  // two distinct nodes
                }
              }
          }
      }
    dp.swap(next);
  }
  return total_last;
}

SpaceSize CellSpace::size() const {
  double macro = static_cast<double>(options_.macro.d_model.size());
  if (has_encoder()) macro *= static_cast<double>(options_.macro.encoder_layers.size());
  if (has_decoder()) macro *= static_cast<double>(options_.macro.decoder_layers.size());
  SpaceSize out;
  out.count = macro;
  double distinct = macro;
  for (CellRole r : {CellRole::encoder, CellRole::decoder}) {
    const CellInfo& c = cell(r);
    if (c.begin < 0) continue;
    const double cells = count_cell(c, r == CellRole::decoder && require_cross_);
    out.count *= cells;
    if (distinct > 0 && cells <= kEnumerateCells) {
      // Enumerate this cell's choices (the other decisions fixed at a legal value)
      // and count canonical forms.
      Rng rng(1);
      Architecture base = SearchSpace::random(rng);
      std::unordered_set<std::string> forms;
      std::vector<Choice> prefix(base.choices.begin(), base.choices.begin() + c.begin);
      const size_t cell_decisions = node_decision(c.begin, c.nodes, Slot::in0) - static_cast<size_t>(c.begin);
      std::vector<std::vector<Choice>> legal(cell_decisions);
      auto rec = [&](auto&& self, size_t depth) -> void {
        if (depth == cell_decisions) {
          Architecture a = base;
          std::copy(prefix.begin() + c.begin, prefix.end(), a.choices.begin() + c.begin);
          forms.insert(canonical_cell_form(decode_cell(a, r)));
          return;
        }
        legal_choices(prefix, legal[depth]);
        for (Choice ch : legal[depth]) {
          prefix.push_back(ch);
          self(self, depth + 1);
          prefix.pop_back();
        }
      };
      rec(rec, 0);
      distinct *= static_cast<double>(forms.size());
    } else {
      distinct = 0;
    }
  }
  out.exact = out.count < kExactLimit;
  out.distinct_canonical = distinct;
  return out;
}

}  // namespace mctsnas
