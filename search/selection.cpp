#include "search/selection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace mctsnas {
namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
}  // namespace

size_t argmax_score(std::span<const ScoredChild> v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i].score > v[best].score || (v[i].score == v[best].score && v[i].prior > v[best].prior)) best = i;
  return best;
}

ChildScorer::ChildScorer(const MctsOptions& o)
    : use_puct_(o.selection == Selection::puct),
      max_backup_(o.backup == Backup::max),
      rank_norm_(o.normalization == Normalization::rank),
      exploration_(o.exploration),
      virtual_loss_(o.virtual_loss),
      first_play_(o.first_play),
      prior_decay_(o.prior_decay) {}

void ChildScorer::priors(std::span<const double> pred, std::span<ScoredChild> kids) const {
  const size_t n = kids.size();
  for (ScoredChild& k : kids) k.prior = 1.0 / static_cast<double>(n);
  if (pred.empty()) return;
  descending_ranks(pred, rank_);
  // prior = decay^rank / sum_{r<n} decay^r: the powers and their running sum
  // built once, by the same multiplications and additions in the same order.
  while (decay_pow_.size() < n) {
    const double w = decay_pow_.empty() ? 1.0 : decay_pow_.back() * prior_decay_;
    decay_sum_.push_back((decay_sum_.empty() ? 0.0 : decay_sum_.back()) + w);
    decay_pow_.push_back(w);
  }
  const double sum = decay_sum_[n - 1];
  for (size_t i = 0; i < n; ++i) kids[i].prior = decay_pow_[rank_[i]] / sum;
}

void ChildScorer::score(std::span<const Node> nodes, const Node& parent, std::span<const double> pred,
                        std::span<ScoredChild> kids) const {
  if (kids.empty()) return;
  priors(pred, kids);
  values_.clear();
  for (const ScoredChild& k : kids)
    if (k.node != NodeIndex::kNone && nodes[k.node].visits > 0) values_.push_back(value_of(nodes[k.node]));
  normalize(values_, parent.visits > 0 ? value_of(parent) : kNegInf, qs_);
  // The parent's part of PUCT / UCT, once per node: sqrt(max(N, 1)) or ln(N + 1).
  const double np = parent.visits + virtual_loss_ * parent.in_flight;
  const double pt = use_puct_ ? std::sqrt(std::max(np, 1.0)) : std::log(np + 1.0);
  const double* next_q = qs_.data();
  for (ScoredChild& k : kids) {
    const Node* c = k.node != NodeIndex::kNone ? &nodes[k.node] : nullptr;
    double q = first_play_, n = 0;
    if (c) {
      n = c->visits + virtual_loss_ * c->in_flight;
      if (c->visits > 0)
        q = *next_q++ * c->visits / n;
      else if (n > 0)
        q = 0;
    }
    k.q = q;
    k.visits = n;
    k.score = use_puct_ ? q + exploration_ * k.prior * pt / (1.0 + n) : q + exploration_ * std::sqrt(pt / (n + 1.0));
    if (c && c->has(Node::kExhausted)) k.score = kNegInf;
  }
}

void ChildScorer::normalize(const std::vector<double>& values, double parent_value, std::vector<double>& out) const {
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

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void ChildScorer::descending_ranks(std::span<const double> values, std::vector<uint32_t>& out) {
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
void ChildScorer::rank_normalize(std::span<const double> values, std::vector<double>& out) {
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

}  // namespace mctsnas
