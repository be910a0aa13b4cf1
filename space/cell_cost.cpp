#include "space/cell_cost.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace mctsnas {
namespace {

constexpr size_t kRoles = 2;
// Partial bounds are summed in another order than the exact cost; this margin keeps
// a bound from passing the exact cost of its cheapest completion by a rounding.
constexpr double kRoundingMargin = 1.0 - 1e-12;

}  // namespace

CellCostModel::CellCostModel(const CellSpace& space, const ModelDims& dims) : space_(space), dims_(dims) {
  const auto& dm = space_.options_.macro.d_model;
  costs_.resize(std::size(kCostKinds) * kRoles * dm.size());
  for (CostKind k : kCostKinds)
    for (CellRole r : {CellRole::encoder, CellRole::decoder}) {
      const CellSpace::CellInfo& c = space_.cell(r);
      if (c.begin < 0) continue;
      // An encoder layer runs over the source; a decoder layer's queries over the target.
      const int64_t t = r == CellRole::encoder ? dims_.flop_src_len : dims_.flop_tgt_len;
      for (size_t d = 0; d < dm.size(); ++d) {
        OpCosts& oc = costs_[cost_index(k, r, d)];
        const double inf = std::numeric_limits<double>::infinity();
        oc.min_nonzero = oc.min_any = inf;
        double cross = inf;
        for (size_t o = 0; o < c.ops.size(); ++o) {
          const OpSpec& op = c.ops[o];
          const double v = k == CostKind::params ? static_cast<double>(op_params(op, dm[d]))
                                                 : op_flops(op, dm[d], t, dims_.flop_src_len);
          oc.of.push_back(v);
          oc.min_any = std::min(oc.min_any, v);
          if (static_cast<int>(o) != c.zero_op) oc.min_nonzero = std::min(oc.min_nonzero, v);
          if (c.is_cross[o]) cross = std::min(cross, v);
        }
        oc.min_cross = cross == inf ? 0 : cross;
      }
    }
}

size_t CellCostModel::cost_index(CostKind k, CellRole r, size_t d) const {
  const size_t nd = space_.options_.macro.d_model.size();
  return (static_cast<size_t>(k) * kRoles + static_cast<size_t>(r)) * nd + d;
}

// The concat projection over `open` output nodes (none for one: the builder then adds nothing).
double CellCostModel::combine_cost(CostKind k, CellRole r, int64_t d_model, int open) const {
  if (space_.cell(r).combine != "concat" || open <= 1) return 0;
  if (k == CostKind::params) return static_cast<double>(open * d_model * d_model + d_model);
  const int64_t t = r == CellRole::encoder ? dims_.flop_src_len : dims_.flop_tgt_len;
  return 2.0 * static_cast<double>(t) * static_cast<double>(open) * d_model * d_model;
}

// The cell's open nodes (those no edge reads; an edge reads its input whatever its
// op, zero included, as the builder does) at least, once `prefix` is complete: each
// input not chosen yet can still close one.
int CellCostModel::least_open(CellRole r, std::span<const Choice> prefix) const {
  const CellSpace::CellInfo& c = space_.cell(r);
  uint64_t consumed = 0;
  int free_inputs = 0;
  for (int k = 0; k < c.nodes; ++k)
    for (auto slot : {CellSpace::Slot::in0, CellSpace::Slot::in1}) {
      const size_t at = CellSpace::node_decision(c.begin, k, slot);
      if (at >= prefix.size()) ++free_inputs;
      else if (prefix[at] != space_.none_input(c)) consumed |= uint64_t{1} << prefix[at];
    }
  const uint64_t nodes = ((uint64_t{1} << c.nodes) - 1) << 2;
  return std::popcount(nodes & ~consumed) - free_inputs;
}

double CellCostModel::cell_cost(CostKind k, CellRole r, size_t d, std::span<const Choice> a) const {
  const CellSpace::CellInfo& c = space_.cell(r);
  const OpCosts& oc = costs_[cost_index(k, r, d)];
  const int64_t d_model = space_.options_.macro.d_model[d];
  double v = k == CostKind::params ? static_cast<double>(4 * d_model) : 0.0;   // norm0, norm1
  for (int n = 0; n < c.nodes; ++n) {
    v += oc.of[a[CellSpace::node_decision(c.begin, n, CellSpace::Slot::op0)]];
    if (a[CellSpace::node_decision(c.begin, n, CellSpace::Slot::in1)] != space_.none_input(c))
      v += oc.of[a[CellSpace::node_decision(c.begin, n, CellSpace::Slot::op1)]];
  }
  return v + combine_cost(k, r, d_model, least_open(r, a));
}

double CellCostModel::cell_lower_bound(CostKind k, CellRole r, size_t d, std::span<const Choice> prefix) const {
  const CellSpace::CellInfo& c = space_.cell(r);
  if (prefix.size() >= CellSpace::node_decision(c.begin, c.nodes, CellSpace::Slot::in0))
    return cell_cost(k, r, d, prefix);
  const OpCosts& oc = costs_[cost_index(k, r, d)];
  double v = k == CostKind::params ? static_cast<double>(4 * space_.options_.macro.d_model[d]) : 0.0;
  // Each node's undecided part costs at least its cheapest legal completion: a node
  // needs one edge other than zero; a second edge may be left out unless the first is zero.
  bool cross_seen = false, undecided = false;
  double largest_rest = 0;
  for (int n = 0; n < c.nodes; ++n) {
    const size_t b = CellSpace::node_decision(c.begin, n, CellSpace::Slot::in0);
    auto at = [&](size_t off) { return b + off < prefix.size() ? static_cast<int>(prefix[b + off]) : -1; };
    const int op0 = at(1), in1 = at(2), op1 = at(3);
    double rest = -1;   // the cheapest completion of the node's undecided part; -1: none is left
    if (op0 < 0) {
      rest = oc.min_nonzero;
    } else {
      v += oc.of[static_cast<size_t>(op0)];
      cross_seen |= c.is_cross[static_cast<size_t>(op0)] != 0;
      if (in1 < 0) {
        rest = op0 == c.zero_op ? oc.min_nonzero : 0.0;
      } else if (in1 != space_.none_input(c)) {
        if (op1 < 0) {
          rest = op0 == c.zero_op ? oc.min_nonzero : oc.min_any;
        } else {
          v += oc.of[static_cast<size_t>(op1)];
          cross_seen |= c.is_cross[static_cast<size_t>(op1)] != 0;
        }
      }
    }
    if (rest >= 0) {
      v += rest;
      undecided = true;
      largest_rest = std::max(largest_rest, rest);
    }
  }
  // require_cross_attention: some undecided node must then carry a cross-attention
  // edge, costing at least min_cross instead of that node's cheapest completion.
  if (r == CellRole::decoder && space_.require_cross_ && !cross_seen && undecided)
    v += std::max(0.0, oc.min_cross - largest_rest);
  return v + combine_cost(k, r, space_.options_.macro.d_model[d], least_open(r, prefix));
}

double CellCostModel::total(CostKind k, std::span<const Choice> macro, double enc_cell, double dec_cell) const {
  const MacroOptions& m = space_.options_.macro;
  size_t at = 0;
  const int64_t d = m.d_model[macro[at++]];
  const int64_t enc_layers = space_.has_encoder() ? m.encoder_layers[macro[at++]] : 0;
  const int64_t dec_layers = space_.has_decoder() ? m.decoder_layers[macro[at++]] : 0;
  if (k == CostKind::params) {
    double p = 0;
    if (space_.has_encoder())   // embeddings, layers, final norm
      p += static_cast<double>((dims_.src_vocab + dims_.max_len) * d + 2 * d) + static_cast<double>(enc_layers) * enc_cell;
    if (space_.has_decoder())   // the same, and the head
      p += static_cast<double>((dims_.tgt_vocab + dims_.max_len) * d + 2 * d + d * dims_.tgt_vocab + dims_.tgt_vocab) +
           static_cast<double>(dec_layers) * dec_cell;
    else
      p += static_cast<double>(d * dims_.num_classes + dims_.num_classes);
    return p;
  }
  // Summed as SeqModel::flops sums: layer by layer, then the head.
  double f = 0;
  for (int64_t i = 0; i < enc_layers; ++i) f += enc_cell;
  for (int64_t i = 0; i < dec_layers; ++i) f += dec_cell;
  const double dd = static_cast<double>(d);
  if (space_.has_decoder())
    f += 2.0 * static_cast<double>(dims_.flop_tgt_len) * dd * static_cast<double>(dims_.tgt_vocab);
  else
    f += 2.0 * dd * static_cast<double>(dims_.num_classes);
  return f;
}

double CellCostModel::cost(CostKind k, std::span<const Choice> a) const {
  const size_t d = a[0];
  const double enc = space_.has_encoder() ? cell_cost(k, CellRole::encoder, d, a) : 0;
  const double dec = space_.has_decoder() ? cell_cost(k, CellRole::decoder, d, a) : 0;
  return total(k, a.first(static_cast<size_t>(space_.macro_decisions_)), enc, dec);
}

double CellCostModel::bound_with_macro(CostKind k, std::span<const Choice> prefix) const {
  const size_t d = prefix[0];
  const double enc = space_.has_encoder() ? cell_lower_bound(k, CellRole::encoder, d, prefix) : 0;
  const double dec = space_.has_decoder() ? cell_lower_bound(k, CellRole::decoder, d, prefix) : 0;
  return total(k, prefix.first(static_cast<size_t>(space_.macro_decisions_)), enc, dec);
}

double CellCostModel::lower_bound(CostKind k, std::span<const Choice> prefix) const {
  const size_t macro = static_cast<size_t>(space_.macro_decisions_);
  if (prefix.size() == static_cast<size_t>(space_.num_decisions())) return cost(k, prefix);
  if (prefix.size() >= macro) return bound_with_macro(k, prefix) * kRoundingMargin;
  // Macro choices still open: the cheapest of their combinations (a handful).
  std::vector<Choice> m(prefix.begin(), prefix.end());
  double best = std::numeric_limits<double>::infinity();
  auto rec = [&](auto&& self) -> void {
    if (m.size() == macro) {
      best = std::min(best, bound_with_macro(k, m));
      return;
    }
    const size_t n = space_.decision(static_cast<int>(m.size())).choices.size();
    for (size_t c = 0; c < n; ++c) {
      m.push_back(static_cast<Choice>(c));
      self(self);
      m.pop_back();
    }
  };
  rec(rec);
  return best * kRoundingMargin;
}

}  // namespace mctsnas
