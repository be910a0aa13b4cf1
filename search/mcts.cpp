#include "search/mcts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "common/error.h"
#include "search/sampling.h"

namespace mctsnas {
namespace {
// 2: the ridge surrogate stores P as a flushed matrix plus pending rank-one terms.
// 3: the ridge surrogate stores its observations (replayed on load), not P.
// 4: the ridge surrogate's features are treatment-coded (other indices).
constexpr uint32_t kStateVersion = 4;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
}  // namespace

Mcts::Mcts(const SearchSpace& space, const MctsOptions& options, TranspositionKey key, uint64_t seed)
    : Mcts(space, options, key, seed, nullptr) {
  surrogate_ = make_surrogate(options_.surrogate, space);
}

Mcts::Mcts(const SearchSpace& space, const MctsOptions& options, TranspositionKey key, uint64_t seed,
           std::unique_ptr<Surrogate> surrogate)
    : space_(space), options_(options), key_kind_(key), rng_(seed), surrogate_(std::move(surrogate)) {
  auto bad = [](const std::string& k, const std::string& v, const std::string& expected) {
    return Error("search.mcts." + k + ": unknown value '" + v + "' (expected " + expected + ")");
  };
  if (options_.tree != "edit" && options_.tree != "prefix") throw bad("tree", options_.tree, "edit or prefix");
  if (options_.selection != "puct" && options_.selection != "uct")
    throw bad("selection", options_.selection, "puct or uct");
  if (options_.backup != "max" && options_.backup != "mean") throw bad("backup", options_.backup, "max or mean");
  if (options_.normalization != "minmax" && options_.normalization != "rank")
    throw bad("normalization", options_.normalization, "minmax or rank");
  if (!(options_.exploration >= 0)) throw Error("search.mcts.exploration: must be >= 0");
  if (!(options_.virtual_loss >= 0)) throw Error("search.mcts.virtual_loss: must be >= 0");
  if (options_.max_depth < 1 || options_.max_depth > 255) throw Error("search.mcts.max_depth: must be in 1..255");
  if (options_.initial_random < 0) throw Error("search.mcts.initial_random: must be >= 0");
  if (!(options_.prior_decay > 0 && options_.prior_decay <= 1))
    throw Error("search.mcts.prior_decay: must be in (0, 1]");
  if (!(options_.ucb_beta >= 0)) throw Error("search.mcts.ucb_beta: must be >= 0");
  if (!std::isfinite(options_.first_play)) throw Error("search.mcts.first_play: must be a finite number");
  edit_tree_ = options_.tree == "edit";
  use_puct_ = options_.selection == "puct";
  max_backup_ = options_.backup == "max";
  rank_norm_ = options_.normalization == "rank";
  decisions_ = space.num_decisions();
  MCTSNAS_CHECK(decisions_ > 0 && decisions_ < 255, "space must have 1..254 decisions");
  size_t most = 1;
  for (const Decision& dec : space.decisions()) most = std::max(most, dec.choices.size());
  MCTSNAS_CHECK(most <= 65536, "a decision has more than 65536 choices");
  choices_.init(static_cast<size_t>(decisions_), most);
  if (!edit_tree_) new_node(0, 0);  // the prefix tree's root: the empty prefix
}

double Mcts::puct_score(double q, double prior, double parent_visits, double child_visits, double c) {
  return q + c * prior * std::sqrt(std::max(parent_visits, 1.0)) / (1.0 + child_visits);
}

double Mcts::uct_score(double q, double parent_visits, double child_visits, double c) {
  return q + c * std::sqrt(std::log(parent_visits + 1.0) / (child_visits + 1.0));
}

uint64_t Mcts::key_of(const Architecture& a) const { return key_of(std::span<const Choice>(a.choices)); }

uint64_t Mcts::key_of(std::span<const Choice> a) const {
  uint64_t k = key_kind_ == TranspositionKey::canonical
                   ? space_.canonical_hash(Architecture{std::vector<Choice>(a.begin(), a.end())})
                   : exact_hash(a);
  return k == 0 ? 1 : k;  // 0 marks "no key" in Node
}

double Mcts::predict(const Architecture& a) const {
  if (!surrogate_) return 0.0;
  // Optimism under uncertainty: ranking by mean + beta * std sends the search to
  // edits whose features the model has rarely seen (measured: median evaluations
  // to the NB201 optimum 61 -> 39, flat for beta in 3..8).
  double v = surrogate_->predict(a);
  if (options_.ucb_beta != 0) v += options_.ucb_beta * surrogate_->uncertainty(a);
  return v;
}

uint32_t Mcts::new_node(uint64_t key, uint8_t depth) {
  MCTSNAS_CHECK(nodes_.size() < NodeIndex::kNone - 1, "MCTS tree is full (2^32 nodes)");
  Node n;
  n.key = key;
  n.depth = depth;
  nodes_.push_back(n);
  return static_cast<uint32_t>(nodes_.size() - 1);
}

Architecture Mcts::arch_of(uint32_t node) const {
  if (edit_tree_) {
    Architecture a;
    a.choices.resize(static_cast<size_t>(decisions_));
    choices_.get(node, a.choices.data());
    return a;
  }
  // Prefix tree: walk up by searching parents is not stored; rebuild from the root.
  // Only used for dumps and best_node, so a linear scan for the parent is fine.
  std::vector<Choice> rev;
  uint32_t cur = node;
  while (cur != 0) {
    rev.push_back(nodes_[cur].choice);
    uint32_t parent = 0;
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      const Node& n = nodes_[i];
      if (n.num_children && cur >= n.first_child && cur < n.first_child + n.num_children) {
        parent = i;
        break;
      }
    }
    cur = parent;
  }
  std::reverse(rev.begin(), rev.end());
  return Architecture{rev};
}

double Mcts::value_of(const Node& n) const {
  return max_backup_ ? static_cast<double>(n.value_max) : n.value_sum / n.visits;
}

void Mcts::priors_for(const std::vector<Architecture>& archs, std::vector<double>& out) const {
  const size_t n = archs.size();
  out.assign(n, n ? 1.0 / static_cast<double>(n) : 0.0);
  if (!surrogate_ || n == 0 || surrogate_->num_observations() == 0) return;
  std::vector<double> pred(n);
  for (size_t i = 0; i < n; ++i) pred[i] = predict(archs[i]);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pred[a] > pred[b]; });
  double w = 1.0, sum = 0;
  for (size_t r = 0; r < n; ++r) {
    out[order[r]] = w;
    sum += w;
    w *= options_.prior_decay;
  }
  for (double& p : out) p /= sum;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void Mcts::descending_ranks(std::span<const double> values, std::vector<uint32_t>& out) {
  // Position in a stable sort by value, highest first: the siblings above, and
  // the equal ones listed earlier. Counted pairwise for few siblings (it
  // vectorizes), sorted for many.
  const size_t n = values.size();
  out.resize(n);
  const double* v = values.data();
  if (n <= 64) {
    for (size_t i = 0; i < n; ++i) {
      const double x = v[i];
      int64_t rank = 0;
      for (size_t j = 0; j < i; ++j) rank += v[j] >= x;
      for (size_t j = i + 1; j < n; ++j) rank += v[j] > x;
      out[i] = static_cast<uint32_t>(rank);
    }
    return;
  }
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return v[a] > v[b]; });
  for (size_t r = 0; r < n; ++r) out[order[r]] = static_cast<uint32_t>(r);
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void Mcts::rank_normalize(std::span<const double> values, std::vector<double>& out) {
  // Rank = how many siblings are strictly below. Few siblings (NB201: <= 24):
  // count all pairs (vectorized compares, faster than a sort); many (wide
  // spaces have thousands of neighbours): sort.
  const size_t n = values.size();
  out.assign(n, 1.0);
  if (n <= 1) return;
  const double* v = values.data();
  const double denom = static_cast<double>(n - 1);
  if (n <= 64) {
    for (size_t i = 0; i < n; ++i) {
      const double x = v[i];
      int64_t below = 0;  // 64-bit lanes, as wide as the compare's: it vectorizes
      for (size_t j = 0; j < n; ++j) below += v[j] < x;
      out[i] = static_cast<double>(below) / denom;
    }
    return;
  }
  std::vector<std::pair<double, uint32_t>> ranked(n);
  for (size_t i = 0; i < n; ++i) ranked[i] = {v[i], static_cast<uint32_t>(i)};
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t below = 0;
  for (size_t p = 0; p < n; ++p) {
    if (p > 0 && ranked[p].first != ranked[p - 1].first) below = p;
    out[ranked[p].second] = static_cast<double>(below) / denom;
  }
}

void Mcts::normalize(const std::vector<double>& values, double parent_value, std::vector<double>& out) const {
  if (rank_norm_) {
    rank_normalize(values, out);
    return;
  }
  const size_t n = values.size();
  out.assign(n, 0.0);
  if (n == 0) return;
  double lo = values[0], top = values[0];
  for (double v : values) {
    lo = std::min(lo, v);
    top = std::max(top, v);
  }
  if (std::isfinite(parent_value)) top = std::max(top, parent_value);
  for (size_t i = 0; i < n; ++i) out[i] = top > lo ? (values[i] - lo) / (top - lo) : 1.0;
}

std::vector<Mcts::ChildScore> Mcts::child_scores(uint32_t node) const {
  if (!edit_tree_) return scores(node, arch_of(node).choices);
  MCTSNAS_CHECK(node < nodes_.size(), "child_scores: node out of range");
  std::vector<EditKid> kids;
  const NeighbourList& l = edit_kids(node, kids);
  std::vector<ChildScore> out;
  for (const EditKid& k : kids) {
    ChildScore cs;
    if (k.node != NodeIndex::kNone) cs.node = k.node;
    cs.arch.choices.assign(l.arch(k.nbr, decisions_), l.arch(k.nbr, decisions_) + decisions_);
    cs.q = k.q;
    cs.prior = k.prior;
    cs.visits = k.visits;
    cs.score = k.score;
    out.push_back(std::move(cs));
  }
  return out;
}

Mcts::NeighbourList& Mcts::neighbours_of(uint32_t node) const {
  if (nbr_cache_.empty()) {
    // Descents stay near the best node: few distinct nodes between re-roots, so
    // 1024 slots, fewer where a node's list is large (a slot holds up to
    // sum(choices - 1) neighbours with their choices, key, score and memo of
    // ~2D features: ~10D + 64 bytes each), so the cache stays within ~64 MB on
    // any space (NB201: 1024 slots of ~3 KB; 20 x 50: 256; 100 x 100: 4).
    size_t per_slot = 0;
    for (const Decision& dec : space_.decisions()) per_slot += dec.choices.size() > 0 ? dec.choices.size() - 1 : 0;
    per_slot *= 10 * static_cast<size_t>(decisions_) + 64;
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
  const size_t d = static_cast<size_t>(decisions_);
  arch_scratch_.resize(d);
  choices_.get(node, arch_scratch_.data());
  space_.append_neighbours(arch_scratch_, l.choices);
  for (size_t at = 0; at < l.choices.size(); at += d) l.keys.push_back(key_of(std::span<const Choice>(&l.choices[at], d)));
  l.node_of.assign(l.keys.size(), NodeIndex::kNone);
  l.resolved_upto = 0;
  l.pred.assign(l.keys.size(), 0.0);
  l.pred_version.assign(l.keys.size(), 0);  // 0: never current (versions start at 1)
  l.memo.reset(l.keys.size());
  return l;
}

void Mcts::ensure_pred(NeighbourList& l, const std::vector<uint32_t>& which) const {
  score_archs_.clear();
  score_idx_.clear();
  for (uint32_t i : which)
    if (l.pred_version[i] != surrogate_version_) {
      score_idx_.push_back(i);
      score_archs_.push_back(l.arch(i, decisions_));
    }
  if (score_idx_.empty()) return;
  score_out_.resize(score_idx_.size());
  if (surrogate_)
    surrogate_->predict_ucb_memo(score_archs_, score_idx_, static_cast<size_t>(decisions_), options_.ucb_beta, l.memo,
                                 score_out_.data());
  else
    std::fill(score_out_.begin(), score_out_.end(), 0.0);
  for (size_t j = 0; j < score_idx_.size(); ++j) {
    l.pred[score_idx_[j]] = score_out_[j];
    l.pred_version[score_idx_[j]] = surrogate_version_;
  }
}

void Mcts::resolve_nodes(NeighbourList& l) const {
  // Nodes are never removed, so a neighbour found once keeps its index, and one
  // not found can only have appeared among the nodes created since the last
  // look: few between two visits of a list near the root, so comparing their
  // keys beats a hash probe per neighbour.
  const size_t now = nodes_.size();
  if (l.resolved_upto == now) return;
  if (now - l.resolved_upto <= 16) {
    for (size_t n = l.resolved_upto; n < now; ++n) {
      const uint64_t key = nodes_[n].key;
      for (uint32_t i = 0; i < l.size(); ++i)
        if (l.keys[i] == key && l.node_of[i] == NodeIndex::kNone) l.node_of[i] = static_cast<uint32_t>(n);
    }
  } else {
    for (uint32_t i = 0; i < l.size(); ++i)
      if (l.node_of[i] == NodeIndex::kNone) l.node_of[i] = index_.find(l.keys[i], nodes_);
  }
  l.resolved_upto = now;
}

const Mcts::NeighbourList& Mcts::edit_kids(uint32_t node, std::vector<EditKid>& out) const {
  // Same arithmetic, in the same order, as scores() did for the edit tree.
  NeighbourList& l = neighbours_of(node);
  out.clear();
  resolve_nodes(l);
  for (uint32_t i = 0; i < l.size(); ++i) {
    const uint32_t idx = l.node_of[i];
    if (idx != NodeIndex::kNone) {
      const Node& c = nodes_[idx];
      if (idx == node || c.has(Node::kPending) || c.has(Node::kFailed) || c.visits == 0) continue;
    }
    out.push_back(EditKid{i, idx, 0, 0, 0, 0});
  }
  const size_t n = out.size();
  if (n == 0) return l;
  for (EditKid& k : out) k.prior = 1.0 / static_cast<double>(n);
  if (surrogate_ && surrogate_->num_observations() > 0) {
    s_which_.clear();
    for (const EditKid& k : out) s_which_.push_back(k.nbr);
    ensure_pred(l, s_which_);
    s_pred_.resize(n);
    for (size_t i = 0; i < n; ++i) s_pred_[i] = l.pred[out[i].nbr];
    descending_ranks(s_pred_, s_rank_);
    // prior = decay^rank / sum_{r<n} decay^r: the powers and their running sum
    // built once, by the same multiplications and additions in the same order.
    while (s_decay_pow_.size() < n) {
      const double w = s_decay_pow_.empty() ? 1.0 : s_decay_pow_.back() * options_.prior_decay;
      s_decay_sum_.push_back((s_decay_sum_.empty() ? 0.0 : s_decay_sum_.back()) + w);
      s_decay_pow_.push_back(w);
    }
    const double sum = s_decay_sum_[n - 1];
    for (size_t i = 0; i < n; ++i) out[i].prior = s_decay_pow_[s_rank_[i]] / sum;
  }
  s_values_.clear();
  for (const EditKid& k : out)
    if (k.node != NodeIndex::kNone && nodes_[k.node].visits > 0) s_values_.push_back(value_of(nodes_[k.node]));
  const Node& parent = nodes_[node];
  const double parent_value = parent.visits > 0 ? value_of(parent) : kNegInf;
  normalize(s_values_, parent_value, s_qs_);
  const ParentTerm pt = parent_term(parent.visits + options_.virtual_loss * parent.in_flight);
  const double* next_q = s_qs_.data();
  for (EditKid& cs : out) {
    const Scored sc = score_child(cs.node != NodeIndex::kNone ? &nodes_[cs.node] : nullptr, cs.prior, pt, next_q);
    cs.q = sc.q;
    cs.visits = sc.visits;
    cs.score = sc.score;
  }
  return l;
}

Mcts::ParentTerm Mcts::parent_term(double np) const {
  // The part of PUCT / UCT that only depends on the parent, computed once per
  // node instead of once per child (same value, so the same scores).
  return ParentTerm{use_puct_ ? std::sqrt(std::max(np, 1.0)) : std::log(np + 1.0)};
}

inline Mcts::Scored Mcts::score_child(const Node* c, double prior, ParentTerm pt, const double*& next_q) const {
  double q = options_.first_play, n = 0;
  if (c) {
    // Virtual loss: each trial in flight below counts as a visit of value 0.
    n = c->visits + options_.virtual_loss * c->in_flight;
    if (c->visits > 0)
      q = *next_q++ * c->visits / n;
    else if (n > 0)
      q = 0;
  }
  // Written as puct_score() / uct_score() compute it, with the parent's part hoisted.
  const double cx = options_.exploration;
  double score = use_puct_ ? q + cx * prior * pt.value / (1.0 + n) : q + cx * std::sqrt(pt.value / (n + 1.0));
  if (c && c->has(Node::kExhausted)) score = kNegInf;
  return {q, n, score};
}

std::vector<Mcts::ChildScore> Mcts::scores(uint32_t node, const std::vector<Choice>& node_prefix) const {
  std::vector<ChildScore> out;
  const Node& parent = nodes_.at(node);
  std::vector<Architecture> archs;
  MCTSNAS_CHECK(!edit_tree_, "scores() is the prefix tree's; the edit tree uses edit_kids()");
  {
    std::vector<Choice> prefix = node_prefix;
    for (uint32_t i = 0; i < parent.num_children; ++i) {
      ChildScore cs;
      cs.node = parent.first_child + i;
      out.push_back(cs);
      if (surrogate_) {
        prefix.push_back(nodes_[parent.first_child + i].choice);
        archs.push_back(complete_for_prior(prefix));
        prefix.pop_back();
      } else {
        archs.emplace_back();
      }
    }
  }
  std::vector<double> priors, values, qs;
  priors_for(archs, priors);
  for (const ChildScore& cs : out)
    if (cs.node && nodes_[*cs.node].visits > 0) values.push_back(value_of(nodes_[*cs.node]));
  const double parent_value = parent.visits > 0 ? value_of(parent) : kNegInf;
  normalize(values, parent_value, qs);
  const ParentTerm pt = parent_term(parent.visits + options_.virtual_loss * parent.in_flight);
  const double* next_q = qs.data();
  for (size_t i = 0; i < out.size(); ++i) {
    ChildScore& cs = out[i];
    cs.prior = priors[i];
    const Scored sc = score_child(cs.node ? &nodes_[*cs.node] : nullptr, cs.prior, pt, next_q);
    cs.q = sc.q;
    cs.visits = sc.visits;
    cs.score = sc.score;
  }
  return out;
}

namespace {
// Highest score; ties go to the higher prior, then to the earlier child.
template <class Kid>
size_t argmax_score(const std::vector<Kid>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i].score > v[best].score || (v[i].score == v[best].score && v[i].prior > v[best].prior)) best = i;
  return best;
}
}  // namespace

Proposal Mcts::emit(Architecture a, std::vector<uint32_t> path) {
  for (uint32_t n : path) ++nodes_[n].in_flight;
  nodes_[path.back()].flags |= Node::kPending;
  Proposal p{next_id_++, std::move(a)};
  in_flight_.emplace(p.id, std::move(path));
  return p;
}

std::vector<Proposal> Mcts::propose(int k) {
  std::vector<Proposal> out;
  while (static_cast<int>(out.size()) < k) {
    auto p = propose_one();
    if (!p) break;
    out.push_back(std::move(*p));
  }
  return out;
}

std::optional<Proposal> Mcts::propose_one() { return edit_tree_ ? propose_edit() : propose_prefix(); }

std::optional<Proposal> Mcts::propose_random() {
  auto a = sample_unseen(
      space_, [&](const Architecture& x) { return index_.find(key_of(x), nodes_) != NodeIndex::kNone; }, rng_);
  if (!a) return std::nullopt;
  const uint64_t key = key_of(*a);
  uint32_t n = new_node(key, 0);
  index_.insert(key, n, nodes_);
  choices_.append(a->choices);
  return emit(std::move(*a), {n});
}

std::optional<Proposal> Mcts::propose_edit() {
  if (random_proposed_ < options_.initial_random || best_node_ == NodeIndex::kNone) {
    auto p = propose_random();
    if (p) ++random_proposed_;
    return p;
  }
  std::vector<uint32_t> path{best_node_};
  uint32_t cur = best_node_;
  auto& kids = kids_;
  for (int depth = 0;; ++depth) {
    const NeighbourList& l = edit_kids(cur, kids);
    // No node twice on one path.
    std::erase_if(kids, [&](const EditKid& c) {
      return c.node != NodeIndex::kNone && std::find(path.begin(), path.end(), c.node) != path.end();
    });
    if (kids.empty()) break;
    size_t pick = argmax_score(kids);
    if (kids[pick].node != NodeIndex::kNone && depth + 1 >= options_.max_depth) {
      // Depth cap: the best-prior child never evaluated, if any.
      std::optional<size_t> alt;
      for (size_t i = 0; i < kids.size(); ++i)
        if (kids[i].node == NodeIndex::kNone && (!alt || kids[i].prior > kids[*alt].prior)) alt = i;
      if (!alt) break;
      pick = *alt;
    }
    if (kids[pick].node == NodeIndex::kNone) {
      const Choice* c = l.arch(kids[pick].nbr, decisions_);
      Architecture a{std::vector<Choice>(c, c + decisions_)};
      const uint64_t key = key_of(a);
      uint32_t n = new_node(key, static_cast<uint8_t>(std::min(depth + 1, 255)));
      index_.insert(key, n, nodes_);
      choices_.append(a.choices);
      path.push_back(n);
      return emit(std::move(a), std::move(path));
    }
    cur = kids[pick].node;
    path.push_back(cur);
  }
  return propose_frontier();
}

std::optional<Proposal> Mcts::propose_frontier() {
  // Evaluated architectures, best first: propose the surrogate's favourite
  // unevaluated neighbour of the first one that has any.
  while (!open_.empty()) {
    const OpenEntry top = open_.front();
    const uint32_t from = top.node;
    if (nodes_[from].has(Node::kClosed) || top.value != nodes_[from].value_max) {
      std::pop_heap(open_.begin(), open_.end());
      open_.pop_back();
      continue;
    }
    NeighbourList& l = neighbours_of(from);
    resolve_nodes(l);
    auto& unseen = s_which_;
    unseen.clear();
    for (uint32_t i = 0; i < l.size(); ++i)
      if (l.node_of[i] == NodeIndex::kNone) unseen.push_back(i);
    ensure_pred(l, unseen);
    std::optional<Architecture> best;
    double best_pred = kNegInf;
    for (uint32_t i : unseen) {
      const double p = l.pred[i];
      if (!best || p > best_pred) {
        best_pred = p;
        best = Architecture{std::vector<Choice>(l.arch(i, decisions_), l.arch(i, decisions_) + decisions_)};
      }
    }
    if (!best) {
      nodes_[from].flags |= Node::kClosed;
      std::pop_heap(open_.begin(), open_.end());
      open_.pop_back();
      continue;
    }
    const uint64_t key = key_of(*best);
    uint32_t n = new_node(key, 1);
    index_.insert(key, n, nodes_);
    choices_.append(best->choices);
    return emit(std::move(*best), {from, n});
  }
  return propose_random();
}

Architecture Mcts::complete_for_prior(std::vector<Choice> prefix) const {
  // Complete a prefix with the best architecture's remaining choices where legal,
  // so that siblings are compared in the context the search currently favours.
  const Architecture* best = best_node_ != NodeIndex::kNone ? &best_arch_ : nullptr;
  std::vector<Choice> legal;
  while (static_cast<int>(prefix.size()) < decisions_) {
    space_.legal_choices(prefix, legal);
    Choice c = legal.empty() ? 0 : legal[0];
    if (best && std::find(legal.begin(), legal.end(), best->choices[prefix.size()]) != legal.end())
      c = best->choices[prefix.size()];
    prefix.push_back(c);
  }
  return Architecture{std::move(prefix)};
}

void Mcts::expand(uint32_t node, const std::vector<Choice>& prefix) {
  std::vector<Choice> legal;
  space_.legal_choices(prefix, legal);
  MCTSNAS_CHECK(legal.size() < 65536, "a decision has more than 65535 choices");
  const uint32_t first = static_cast<uint32_t>(nodes_.size());
  for (Choice c : legal) {
    uint32_t n = new_node(0, static_cast<uint8_t>(prefix.size() + 1));
    nodes_[n].choice = c;
  }
  nodes_[node].first_child = first;
  nodes_[node].num_children = static_cast<uint16_t>(legal.size());
  if (legal.empty()) nodes_[node].flags |= Node::kExhausted;
}

void Mcts::mark_exhausted(const std::vector<uint32_t>& path) {
  nodes_[path.back()].flags |= Node::kExhausted;
  for (size_t i = path.size() - 1; i-- > 0;) {
    Node& p = nodes_[path[i]];
    for (uint32_t c = 0; c < p.num_children; ++c)
      if (!nodes_[p.first_child + c].has(Node::kExhausted)) return;
    p.flags |= Node::kExhausted;
  }
}

std::optional<Proposal> Mcts::propose_prefix() {
  const bool random_walk = random_proposed_ < options_.initial_random;
  // Every failed descent marks at least one node exhausted, so this ends.
  while (!nodes_[0].has(Node::kExhausted)) {
    std::vector<uint32_t> path{0};
    std::vector<Choice> prefix;
    uint32_t cur = 0;
    bool dead_end = false;
    while (static_cast<int>(prefix.size()) < decisions_) {
      if (nodes_[cur].first_child == 0) expand(cur, prefix);
      if (nodes_[cur].num_children == 0) {
        dead_end = true;
        break;
      }
      uint32_t next = NodeIndex::kNone;
      if (random_walk) {
        std::vector<uint32_t> open;
        for (uint32_t i = 0; i < nodes_[cur].num_children; ++i)
          if (!nodes_[nodes_[cur].first_child + i].has(Node::kExhausted)) open.push_back(nodes_[cur].first_child + i);
        if (!open.empty()) next = open[rng_.below(open.size())];
      } else {
        auto kids = scores(cur, prefix);
        size_t pick = argmax_score(kids);
        if (!kids.empty() && kids[pick].score != kNegInf) next = *kids[pick].node;
      }
      if (next == NodeIndex::kNone) {
        dead_end = true;
        break;
      }
      cur = next;
      path.push_back(cur);
      prefix.push_back(nodes_[cur].choice);
    }
    if (dead_end) {
      mark_exhausted(path);
      continue;
    }
    Architecture a{prefix};
    const uint64_t key = key_of(a);
    const uint32_t known = index_.find(key, nodes_);
    mark_exhausted(path);  // a terminal is proposed once
    if (known == NodeIndex::kNone) {
      nodes_[cur].key = key;
      index_.insert(key, cur, nodes_);
      if (random_walk) ++random_proposed_;
      return emit(std::move(a), std::move(path));
    }
    // Transposition: the same (or an isomorphic) architecture was reached by
    // another path. Its known result updates this path; nothing is proposed.
    const Node& k = nodes_[known];
    if (k.has(Node::kEvaluated) && !k.has(Node::kFailed)) backup(path, value_of(k), false);
  }
  return std::nullopt;
}

void Mcts::backup(const std::vector<uint32_t>& path, double reward, bool release_in_flight) {
  for (uint32_t i : path) {
    Node& n = nodes_[i];
    if (release_in_flight) {
      MCTSNAS_CHECK(n.in_flight > 0, "in-flight count underflow");
      --n.in_flight;
    }
    if (!std::isfinite(reward)) continue;
    n.value_max = n.visits == 0 ? static_cast<float>(reward) : std::max(n.value_max, static_cast<float>(reward));
    n.value_sum += reward;
    ++n.visits;
  }
}

void Mcts::observe(const Proposal& p, double reward) {
  auto it = in_flight_.find(p.id);
  if (it == in_flight_.end())
    throw Error("mcts: observed trial " + std::to_string(p.id) + ", which is not in flight");
  std::vector<uint32_t> path = std::move(it->second);
  in_flight_.erase(it);
  const uint32_t leaf = path.back();
  Node& n = nodes_[leaf];
  n.flags = static_cast<uint8_t>((n.flags & ~Node::kPending) | Node::kEvaluated);
  if (std::isnan(reward)) n.flags |= Node::kFailed;
  if (std::isinf(reward)) reward = std::numeric_limits<double>::quiet_NaN();  // never a value
  auto& before = s_before_;
  before.clear();
  if (edit_tree_)
    for (uint32_t i : path) before.push_back(nodes_[i].visits > 0 ? nodes_[i].value_max : -INFINITY);
  backup(path, reward, true);
  if (edit_tree_)
    for (size_t j = 0; j < path.size(); ++j) {
      const Node& x = nodes_[path[j]];
      // A new entry only where the key rose (max backup rarely moves it).
      if (x.visits > 0 && !x.has(Node::kClosed) && !x.has(Node::kFailed) && x.value_max != before[j])
        push_open(path[j]);
    }
  if (std::isfinite(reward)) {
    if (surrogate_) {
      surrogate_->observe(p.arch, reward);
      ++surrogate_version_;
    }
    if (best_node_ == NodeIndex::kNone || reward > best_reward_) {
      best_node_ = leaf;
      best_reward_ = reward;
      best_arch_ = p.arch;
    }
  }
}

void Mcts::push_open(uint32_t node) {
  open_.push_back(OpenEntry{nodes_[node].value_max, node});
  std::push_heap(open_.begin(), open_.end());
}

SearchStats Mcts::stats() const {
  SearchStats st;
  st.nodes = static_cast<int64_t>(nodes_.size());
  for (const Node& n : nodes_) {
    if (st.visits_by_depth.size() <= n.depth) st.visits_by_depth.resize(n.depth + 1, 0);
    st.visits_by_depth[n.depth] += n.visits;
  }
  if (edit_tree_) {
    // From the root (best so far), the most visited neighbour not yet on the path.
    if (best_node_ == NodeIndex::kNone) return st;
    std::vector<uint32_t> path{best_node_};
    st.most_visited_path.push_back(arch_of(best_node_));
    for (int d = 0; d < options_.max_depth; ++d) {
      uint32_t pick = NodeIndex::kNone;
      for (const auto& a : space_.neighbours(arch_of(path.back()))) {
        uint32_t i = index_.find(key_of(a), nodes_);
        if (i == NodeIndex::kNone || nodes_[i].visits < 2 ||
            std::find(path.begin(), path.end(), i) != path.end())
          continue;
        if (pick == NodeIndex::kNone || nodes_[i].visits > nodes_[pick].visits) pick = i;
      }
      if (pick == NodeIndex::kNone) break;
      path.push_back(pick);
      st.most_visited_path.push_back(arch_of(pick));
    }
    return st;
  }
  // Prefix tree: partial architectures (choices so far) down the most visited child.
  uint32_t cur = 0;
  Architecture prefix;
  st.most_visited_path.push_back(prefix);
  while (nodes_[cur].num_children) {
    uint32_t pick = nodes_[cur].first_child;
    for (uint32_t i = 0; i < nodes_[cur].num_children; ++i)
      if (nodes_[nodes_[cur].first_child + i].visits > nodes_[pick].visits) pick = nodes_[cur].first_child + i;
    if (nodes_[pick].visits == 0) break;
    cur = pick;
    prefix.choices.push_back(nodes_[cur].choice);
    st.most_visited_path.push_back(prefix);
  }
  return st;
}

size_t Mcts::memory_bytes() const {
  // What the tree holds (vector growth slack excluded: reserve() removes it).
  return nodes_.size() * sizeof(Node) + choices_.bytes() + open_.size() * sizeof(OpenEntry) +
         index_.bytes();
}

std::string Mcts::dump() const {
  std::string s;
  char buf[256];
  std::snprintf(buf, sizeof buf, "mcts tree=%s nodes=%zu best=%d in_flight=%zu next_id=%llu\n",
                options_.tree.c_str(), nodes_.size(), best_node_ == NodeIndex::kNone ? -1 : int(best_node_),
                in_flight_.size(), static_cast<unsigned long long>(next_id_));
  s += buf;
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    std::snprintf(buf, sizeof buf, "%u key=%016llx N=%u F=%u sum=%.6f max=%.6f flags=%u depth=%u", i,
                  static_cast<unsigned long long>(n.key), n.visits, n.in_flight, n.value_sum,
                  static_cast<double>(n.value_max), n.flags, n.depth);
    s += buf;
    if (edit_tree_) {
      s += " arch=" + space_.key(arch_of(i));
    } else {
      std::snprintf(buf, sizeof buf, " choice=%u children=%u+%u", n.choice, n.first_child, n.num_children);
      s += buf;
    }
    s += '\n';
  }
  return s;
}

void Mcts::save(ByteWriter& out) const {
  out.bytes().reserve(out.bytes().size() + nodes_.size() * sizeof(Node) + choices_.bytes() +
                      open_.size() * sizeof(OpenEntry) + index_.bytes() + 4096);
  out.put(kStateVersion);
  out.put<uint8_t>(edit_tree_);
  out.put<uint32_t>(static_cast<uint32_t>(decisions_));
  out.put(rng_.state());
  out.put(next_id_);
  out.put(random_proposed_);
  out.put(best_node_);
  out.put(best_reward_);
  put_arch(out, best_arch_);
  out.put_vector(nodes_);
  out.put_vector(choices_.raw());
  out.put_vector(open_);
  out.put_vector(index_.slots());
  out.put<uint64_t>(in_flight_.size());
  for (const auto& [id, path] : in_flight_) {
    out.put(id);
    out.put_vector(path);
  }
  out.put<uint8_t>(surrogate_ != nullptr);
  if (surrogate_) surrogate_->save(out);
}

void Mcts::load(ByteReader& in) {
  if (const auto v = in.get<uint32_t>(); v != kStateVersion)
    in.fail("MCTS state version " + std::to_string(v) + ", but this mctsnas reads version " +
            std::to_string(kStateVersion) + " (written by another mctsnas version: start a new run)");
  if (in.get<uint8_t>() != static_cast<uint8_t>(edit_tree_)) in.fail("MCTS tree shape differs from the config's");
  if (in.get<uint32_t>() != static_cast<uint32_t>(decisions_)) in.fail("MCTS decision count differs from the space's");
  rng_.set_state(in.get<std::array<uint64_t, 4>>());
  next_id_ = in.get<uint64_t>();
  random_proposed_ = in.get<int64_t>();
  best_node_ = in.get<uint32_t>();
  best_reward_ = in.get<double>();
  best_arch_ = get_arch(in);
  nodes_ = in.get_vector<Node>();
  auto choice_bytes = in.get_vector<uint8_t>();
  const size_t n = nodes_.size();
  if (best_node_ != NodeIndex::kNone && best_node_ >= n) in.fail("MCTS best node out of range");
  if (!choices_.set_raw(std::move(choice_bytes), edit_tree_ ? n : 0)) in.fail("MCTS choice table has the wrong size");
  if (!edit_tree_ && n == 0) in.fail("MCTS prefix tree has no root");
  for (uint32_t i = 0; i < n; ++i) {
    const Node& x = nodes_[i];
    if (x.num_children && (x.first_child <= i || size_t{x.first_child} + x.num_children > n))
      in.fail("MCTS node " + std::to_string(i) + " has children out of range");
  }
  open_ = in.get_vector<OpenEntry>();
  for (const auto& e : open_)
    if (e.node >= n) in.fail("MCTS open list entry out of range");
  if (!std::is_heap(open_.begin(), open_.end())) in.fail("MCTS open list is not a heap");
  if (!index_.set_slots(in.get_vector<uint32_t>(), n)) in.fail("MCTS transposition index is malformed");
  in_flight_.clear();
  const auto m = in.get<uint64_t>();
  if (m > n) in.fail("MCTS in-flight count larger than the tree");
  for (uint64_t i = 0; i < m; ++i) {
    const auto id = in.get<uint64_t>();
    auto path = in.get_vector<uint32_t>();
    if (path.empty()) in.fail("MCTS in-flight path is empty");
    for (uint32_t x : path)
      if (x >= n) in.fail("MCTS in-flight path out of range");
    in_flight_.emplace(id, std::move(path));
  }
  const bool has_surrogate = in.get<uint8_t>() != 0;
  if (has_surrogate != (surrogate_ != nullptr)) in.fail("MCTS surrogate setting differs from the config's");
  if (surrogate_) surrogate_->load(in);
  nbr_cache_.clear();
  ++surrogate_version_;
}

}  // namespace mctsnas
