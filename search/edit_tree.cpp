#include "search/edit_tree.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "search/sampling.h"

namespace mctsnas {

EditTree::EditTree(TreeCore& core) : core_(core) {
  size_t most = 1;
  for (const Decision& dec : core_.space().decisions()) most = std::max(most, dec.choices.size());
  MCTSNAS_CHECK(most <= 65536, "a decision has more than 65536 choices");
  choices_.init(static_cast<size_t>(core_.decisions()), most);
}

Architecture EditTree::arch_of(uint32_t node) const {
  Architecture a;
  a.choices.resize(static_cast<size_t>(core_.decisions()));
  choices_.get(node, a.choices.data());
  return a;
}

EditTree::NeighbourList& EditTree::neighbours_of(uint32_t node) const {
  const size_t d = static_cast<size_t>(core_.decisions());
  if (nbr_cache_.empty()) {
    // Descents stay near the best node: few distinct nodes between re-roots, so
    // 1024 slots, fewer where a node's list is large (a slot holds up to
    // sum(choices - 1) neighbours with their choices, key, score and memo of
    // ~2D features: ~10D + 64 bytes each), so the cache stays within ~64 MB on
    // any space (NB201: 1024 slots of ~3 KB; 20 x 50: 256; 100 x 100: 4).
    size_t per_slot = 0;
    for (const Decision& dec : core_.space().decisions()) per_slot += dec.choices.size() > 0 ? dec.choices.size() - 1 : 0;
    per_slot *= 10 * d + 64;
    constexpr size_t kBudget = size_t{64} << 20;
    size_t slots = 1024;
    while (slots > 1 && slots * per_slot > kBudget) slots /= 2;
    nbr_cache_.resize(slots);
  }
  NeighbourList& l = nbr_cache_[node & (nbr_cache_.size() - 1)];
  if (l.node == node) return l;
  l.node = node;
  l.choices.clear();
  l.keys.clear();
  arch_scratch_.resize(d);
  choices_.get(node, arch_scratch_.data());
  core_.space().append_neighbours(arch_scratch_, l.choices);
  for (size_t at = 0; at < l.choices.size(); at += d)
    l.keys.push_back(core_.key_of(std::span<const Choice>(&l.choices[at], d)));
  l.node_of.assign(l.keys.size(), NodeIndex::kNone);
  l.resolved_upto = 0;
  l.pred.assign(l.keys.size(), 0.0);
  l.pred_version.assign(l.keys.size(), 0);  // 0: never current (versions start at 1)
  l.memo.reset(l.keys.size());
  return l;
}

void EditTree::ensure_pred(NeighbourList& l, const std::vector<uint32_t>& which) const {
  const int d = core_.decisions();
  const uint64_t version = core_.surrogate_version();
  score_archs_.clear();
  score_idx_.clear();
  for (uint32_t i : which)
    if (l.pred_version[i] != version) {
      score_idx_.push_back(i);
      score_archs_.push_back(l.arch(i, d));
    }
  if (score_idx_.empty()) return;
  score_out_.resize(score_idx_.size());
  if (const Surrogate* s = core_.surrogate())
    s->predict_ucb_memo(score_archs_, score_idx_, static_cast<size_t>(d), core_.options().ucb_beta, l.memo,
                        score_out_.data());
  else
    std::fill(score_out_.begin(), score_out_.end(), 0.0);
  for (size_t j = 0; j < score_idx_.size(); ++j) {
    l.pred[score_idx_[j]] = score_out_[j];
    l.pred_version[score_idx_[j]] = version;
  }
}

void EditTree::resolve_nodes(NeighbourList& l) const {
  // Nodes are never removed, so a neighbour found once keeps its index, and one
  // not found can only have appeared among the nodes created since the last
  // look: few between two visits of a list near the root, so comparing their
  // keys beats a hash probe per neighbour.
  const std::vector<Node>& nodes = core_.nodes();
  const size_t now = nodes.size();
  if (l.resolved_upto == now) return;
  if (now - l.resolved_upto <= 16) {
    for (size_t n = l.resolved_upto; n < now; ++n) {
      const uint64_t key = nodes[n].key;
      for (uint32_t i = 0; i < l.size(); ++i)
        if (l.keys[i] == key && l.node_of[i] == NodeIndex::kNone) l.node_of[i] = static_cast<uint32_t>(n);
    }
  } else {
    for (uint32_t i = 0; i < l.size(); ++i)
      if (l.node_of[i] == NodeIndex::kNone) l.node_of[i] = core_.index().find(l.keys[i], nodes);
  }
  l.resolved_upto = now;
}

const EditTree::NeighbourList& EditTree::scored_children(uint32_t node, std::vector<ScoredChild>& out) const {
  // The node itself, pending and failed neighbours are not children; nor is a
  // neighbour with a node but no result yet.
  NeighbourList& l = neighbours_of(node);
  out.clear();
  resolve_nodes(l);
  const std::vector<Node>& nodes = core_.nodes();
  for (uint32_t i = 0; i < l.size(); ++i) {
    const uint32_t idx = l.node_of[i];
    if (idx != NodeIndex::kNone) {
      const Node& c = nodes[idx];
      if (idx == node || c.has(Node::kPending) || c.has(Node::kFailed) || c.visits == 0) continue;
    }
    out.push_back(ScoredChild{idx, i});
  }
  if (out.empty()) return l;
  std::span<const double> pred;
  if (core_.ranks_by_surrogate()) {
    which_.clear();
    for (const ScoredChild& k : out) which_.push_back(k.slot);
    ensure_pred(l, which_);
    pred_.resize(out.size());
    for (size_t i = 0; i < out.size(); ++i) pred_[i] = l.pred[out[i].slot];
    pred = pred_;
  }
  core_.score(nodes[node], pred, out);
  return l;
}

std::vector<ScoredChild> EditTree::children(uint32_t node) const {
  MCTSNAS_CHECK(node < core_.nodes().size(), "children: node out of range");
  std::vector<ScoredChild> out;
  scored_children(node, out);
  return out;
}

Proposal EditTree::propose_new(Architecture a, uint8_t depth, std::vector<uint32_t> path) {
  const uint64_t key = core_.key_of(a.choices);
  const uint32_t n = core_.new_node(key, depth);
  core_.index().insert(key, n, core_.nodes());
  choices_.append(a.choices);
  path.push_back(n);
  return core_.emit(std::move(a), std::move(path));
}

std::optional<Proposal> EditTree::propose_random() {
  auto a = sample_unseen(
      core_.space(),
      [&](const Architecture& x) { return core_.index().find(core_.key_of(x.choices), core_.nodes()) != NodeIndex::kNone; },
      core_.rng());
  if (!a) return std::nullopt;
  return propose_new(std::move(*a), 0, {});
}

std::optional<Proposal> EditTree::propose_one() {
  const std::optional<uint32_t> root = core_.best_node();
  if (core_.in_random_phase() || !root) {
    auto p = propose_random();
    if (p) core_.count_random();
    return p;
  }
  track_root(*root);
  if (core_.options().combine_edits && !core_.in_flight().empty())
    if (auto p = propose_combination()) return p;
  const int d = core_.decisions();
  std::vector<uint32_t> path{*root};
  uint32_t cur = *root;
  auto& kids = kids_;
  for (int depth = 0;; ++depth) {
    const NeighbourList& l = scored_children(cur, kids);
    // No node twice on one path.
    std::erase_if(kids, [&](const ScoredChild& c) {
      return c.node != NodeIndex::kNone && std::find(path.begin(), path.end(), c.node) != path.end();
    });
    if (kids.empty()) break;
    size_t pick = argmax_score(kids);
    if (kids[pick].node != NodeIndex::kNone && depth + 1 >= core_.options().max_depth) {
      // Depth cap: the best-prior child never evaluated, if any.
      std::optional<size_t> alt;
      for (size_t i = 0; i < kids.size(); ++i)
        if (kids[i].node == NodeIndex::kNone && (!alt || kids[i].prior > kids[*alt].prior)) alt = i;
      if (!alt) break;
      pick = *alt;
    }
    if (kids[pick].node == NodeIndex::kNone) {
      const Choice* c = l.arch(kids[pick].slot, d);
      return propose_new(Architecture{std::vector<Choice>(c, c + d)}, static_cast<uint8_t>(std::min(depth + 1, 255)),
                         std::move(path));
    }
    cur = kids[pick].node;
    path.push_back(cur);
  }
  return propose_frontier();
}

void EditTree::track_root(uint32_t root) {
  if (root == roots_.cur) return;
  roots_.prev = roots_.cur;
  roots_.prev_value = roots_.cur_value;
  roots_.cur = root;
  roots_.cur_value = core_.nodes()[root].value_max;
}

std::vector<std::pair<int, Choice>> EditTree::improving_edits(const Architecture& prev, const Architecture& root) {
  // Per decision the best evaluated neighbour of prev that beats it (value_max:
  // its own reward, or a better one found below it).
  const int d = core_.decisions();
  const std::vector<Node>& nodes = core_.nodes();
  std::vector<std::optional<std::pair<float, Choice>>> best(static_cast<size_t>(d));
  NeighbourList& l = neighbours_of(roots_.prev);
  resolve_nodes(l);
  for (uint32_t i = 0; i < l.size(); ++i) {
    const uint32_t n = l.node_of[i];
    if (n == NodeIndex::kNone || nodes[n].visits == 0 || nodes[n].has(Node::kFailed)) continue;
    const float v = nodes[n].value_max;
    if (!(v > roots_.prev_value)) continue;
    const Choice* c = l.arch(i, d);
    for (int j = 0; j < d; ++j)
      if (c[j] != prev.choices[j] && root.choices[j] == prev.choices[j] && (!best[j] || v > best[j]->first))
        best[j] = std::pair{v, c[j]};
  }
  std::vector<std::pair<float, std::pair<int, Choice>>> ranked;
  for (int j = 0; j < d; ++j)
    if (best[j]) ranked.push_back({best[j]->first, {j, best[j]->second}});
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::pair<int, Choice>> out;
  for (const auto& r : ranked) out.push_back(r.second);
  return out;
}

std::optional<Proposal> EditTree::propose_combination() {
  if (roots_.prev == NodeIndex::kNone) return std::nullopt;
  const Architecture root = arch_of(roots_.cur), prev = arch_of(roots_.prev);
  const auto edits = improving_edits(prev, root);
  // The first edit alone gives a neighbour of the root: the descent's business.
  Architecture a = root;
  for (size_t j = 0; j < edits.size(); ++j) {
    a.choices[static_cast<size_t>(edits[j].first)] = edits[j].second;
    if (j == 0 || !core_.space().is_legal(a)) continue;
    if (core_.index().find(core_.key_of(a.choices), core_.nodes()) == NodeIndex::kNone)
      return propose_new(a, static_cast<uint8_t>(std::min<size_t>(j + 1, 255)), {roots_.cur});
  }
  return std::nullopt;
}

std::optional<Proposal> EditTree::propose_frontier() {
  // Evaluated architectures, best first: propose the surrogate's favourite
  // unevaluated neighbour of the first one that has any.
  const int d = core_.decisions();
  std::vector<Node>& nodes = core_.nodes();
  while (!open_.empty()) {
    const OpenEntry top = open_.front();
    const uint32_t from = top.node;
    if (nodes[from].has(Node::kClosed) || top.value != nodes[from].value_max) {
      std::pop_heap(open_.begin(), open_.end());
      open_.pop_back();
      continue;
    }
    NeighbourList& l = neighbours_of(from);
    resolve_nodes(l);
    auto& unseen = which_;
    unseen.clear();
    for (uint32_t i = 0; i < l.size(); ++i)
      if (l.node_of[i] == NodeIndex::kNone) unseen.push_back(i);
    ensure_pred(l, unseen);
    std::optional<uint32_t> best;
    for (uint32_t i : unseen)
      if (!best || l.pred[i] > l.pred[*best]) best = i;
    if (!best) {
      nodes[from].flags |= Node::kClosed;
      std::pop_heap(open_.begin(), open_.end());
      open_.pop_back();
      continue;
    }
    const Choice* c = l.arch(*best, d);
    return propose_new(Architecture{std::vector<Choice>(c, c + d)}, 1, {from});
  }
  return propose_random();
}

void EditTree::backup(std::span<const uint32_t> path, double reward) {
  std::vector<Node>& nodes = core_.nodes();
  before_.clear();
  for (uint32_t i : path) before_.push_back(nodes[i].visits > 0 ? nodes[i].value_max : -INFINITY);
  core_.backup(path, reward, true);
  for (size_t j = 0; j < path.size(); ++j) {
    const Node& x = nodes[path[j]];
    // A new entry only where the key rose (max backup rarely moves it).
    if (x.visits > 0 && !x.has(Node::kClosed) && !x.has(Node::kFailed) && x.value_max != before_[j])
      push_open(path[j]);
  }
}

void EditTree::push_open(uint32_t node) {
  open_.push_back(OpenEntry{core_.nodes()[node].value_max, node});
  std::push_heap(open_.begin(), open_.end());
}

std::vector<Architecture> EditTree::most_visited_path() const {
  // From the root (best so far), the most visited neighbour not yet on the path.
  const std::optional<uint32_t> root = core_.best_node();
  if (!root) return {};
  const std::vector<Node>& nodes = core_.nodes();
  std::vector<uint32_t> path{*root};
  std::vector<Architecture> out{arch_of(*root)};
  for (int d = 0; d < core_.options().max_depth; ++d) {
    uint32_t pick = NodeIndex::kNone;
    for (const auto& a : core_.space().neighbours(arch_of(path.back()))) {
      uint32_t i = core_.index().find(core_.key_of(a.choices), nodes);
      if (i == NodeIndex::kNone || nodes[i].visits < 2 || std::find(path.begin(), path.end(), i) != path.end())
        continue;
      if (pick == NodeIndex::kNone || nodes[i].visits > nodes[pick].visits) pick = i;
    }
    if (pick == NodeIndex::kNone) break;
    path.push_back(pick);
    out.push_back(arch_of(pick));
  }
  return out;
}

std::string EditTree::dump_node(uint32_t node) const { return " arch=" + core_.space().key(arch_of(node)); }

void EditTree::save(ByteWriter& out) const {
  out.put_vector(choices_.raw());
  out.put_vector(open_);
  out.put(roots_);
}

void EditTree::load(ByteReader& in) {
  const size_t n = core_.nodes().size();
  if (!choices_.set_raw(in.get_vector<uint8_t>(), n)) in.fail("MCTS choice table has the wrong size");
  open_ = in.get_vector<OpenEntry>();
  for (const auto& e : open_)
    if (e.node >= n) in.fail("MCTS open list entry out of range");
  if (!std::is_heap(open_.begin(), open_.end())) in.fail("MCTS open list is not a heap");
  roots_ = in.get<Roots>();
  for (uint32_t r : {roots_.prev, roots_.cur})
    if (r != NodeIndex::kNone && r >= n) in.fail("MCTS root history out of range");
  nbr_cache_.clear();
}

}  // namespace mctsnas
