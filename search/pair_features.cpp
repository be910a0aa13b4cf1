#include "search/pair_features.h"

#include <utility>
#include <vector>

#include "common/error.h"
#include "common/rng.h"

namespace mctsnas {

void FeatureMap::prior_covariance(double feature_var, double intercept_var, double* p, size_t stride) const {
  const size_t n = size();
  for (size_t i = 0; i < n; ++i) p[i * stride + i] = feature_var;
  p[n * stride + n] = intercept_var;
}

DecisionPairFeatures::DecisionPairFeatures(const SearchSpace& space, size_t all_pairs_max, size_t max_features,
                                           Overflow overflow, Coding coding) {
  MCTSNAS_CHECK(max_features >= 2 && max_features < (size_t{1} << 31), "feature bound out of range");
  const size_t singles = list_features(space, all_pairs_max, max_features);
  hashed_ = exact_size_ > max_features;
  if (!hashed_)
    lay_out_exact(singles);
  else if (overflow == Overflow::drop_pairs)
    lay_out_dropping_pairs(singles, max_features);
  else
    lay_out_hashing_pairs(singles, max_features);
  if (coding == Coding::treatment && !hash_singles_ && !hash_pairs_) code_treatment();
}

size_t DecisionPairFeatures::list_features(const SearchSpace& space, size_t all_pairs_max, size_t max_features) {
  const int d = space.num_decisions();
  uint32_t off = 0;
  for (int i = 0; i < d; ++i) {
    single_offset_.push_back(off);
    width_.push_back(static_cast<uint32_t>(space.decision(i).choices.size()));
    off += width_.back();
  }
  const size_t singles = off;
  size_t all = singles;
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j < d; ++j) all += size_t{width_[i]} * width_[j];
  all_pairs_ = all <= all_pairs_max && all <= max_features;
  exact_size_ = singles;
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j < d; ++j) {
      if (!all_pairs_ && j != i + 1) continue;
      pairs_.push_back(Pair{static_cast<uint32_t>(i), static_cast<uint32_t>(j), 0, 0});
      exact_size_ += size_t{width_[i]} * width_[j];
    }
  return singles;
}

void DecisionPairFeatures::lay_out_exact(size_t singles) {
  uint64_t o = singles;
  for (Pair& p : pairs_) {
    p.offset = static_cast<uint32_t>(o);
    o += uint64_t{width_[p.i]} * width_[p.j];
  }
  size_ = exact_size_;
}

void DecisionPairFeatures::lay_out_dropping_pairs(size_t singles, size_t max_features) {
  hash_singles_ = singles > max_features;
  single_buckets_ = static_cast<uint32_t>(hash_singles_ ? max_features : singles);
  uint64_t o = single_buckets_;
  size_t keep = 0;
  for (; keep < pairs_.size(); ++keep) {
    const uint64_t w = uint64_t{width_[pairs_[keep].i]} * width_[pairs_[keep].j];
    if (o + w > max_features) break;
    pairs_[keep].offset = static_cast<uint32_t>(o);
    o += w;
  }
  pairs_.resize(keep);
  pair_offset_ = single_buckets_;
  pair_buckets_ = 0;
  size_ = o;
}

void DecisionPairFeatures::lay_out_hashing_pairs(size_t singles, size_t max_features) {
  hash_singles_ = singles > max_features / 2;
  single_buckets_ = static_cast<uint32_t>(hash_singles_ ? max_features / 2 : singles);
  pair_offset_ = single_buckets_;
  pair_buckets_ = static_cast<uint32_t>(max_features - single_buckets_);
  hash_pairs_ = true;
  size_ = pair_offset_ + pair_buckets_;
}

void DecisionPairFeatures::code_treatment() {
  // The same singles and pairs as the one-hot layout (so the same model),
  // numbered in treatment coding.
  treatment_ = true;
  uint32_t o = 0;
  single_coded_.clear();
  for (uint32_t w : width_) {
    single_coded_.push_back(o);
    o += w - 1;
  }
  for (Pair& p : pairs_) {
    p.coded = o;
    o += (width_[p.i] - 1) * (width_[p.j] - 1);
  }
  size_ = o;
}

void DecisionPairFeatures::prior_covariance(double feature_var, double intercept_var, double* p,
                                            size_t stride) const {
  if (!treatment_) {
    FeatureMap::prior_covariance(feature_var, intercept_var, p, stride);
    return;
  }
  // Each one-hot the model has (weight ~ N(0, feature_var), independent) is a
  // combination b of the coded features and the intercept I, with [c = 0] =
  // I - sum_{c'>=1} [c = c'] per decision; its weight adds feature_var b b'.
  // The coefficients are +-1, so every product is exact and the sums give the
  // same bits with or without fused multiply-adds.
  const uint32_t intercept = static_cast<uint32_t>(size_);
  std::vector<std::pair<uint32_t, double>> b;
  auto add = [&] {
    for (const auto& [r, x] : b)
      for (const auto& [c, y] : b) p[size_t{r} * stride + c] += feature_var * x * y;
  };
  // The one-hot [c_i = a] as +1 / -1 terms (and the intercept).
  auto single = [&](uint32_t i, uint32_t a, double sign) {
    if (a > 0) {
      b.emplace_back(single_coded_[i] + a - 1, sign);
      return;
    }
    b.emplace_back(intercept, sign);
    for (uint32_t c = 1; c < width_[i]; ++c) b.emplace_back(single_coded_[i] + c - 1, -sign);
  };
  for (uint32_t i = 0; i < width_.size(); ++i)
    for (uint32_t a = 0; a < width_[i]; ++a) {
      b.clear();
      single(i, a, 1.0);
      add();
    }
  for (const Pair& q : pairs_) {
    const uint32_t wj = width_[q.j];
    auto coded = [&](uint32_t a, uint32_t c) { return q.coded + (a - 1) * (wj - 1) + (c - 1); };
    for (uint32_t a = 0; a < width_[q.i]; ++a)
      for (uint32_t c = 0; c < wj; ++c) {
        // [c_i = a][c_j = c] with [c_i = 0] = 1 - sum_{a'>=1} [c_i = a'], likewise j.
        b.clear();
        if (a > 0 && c > 0) {
          b.emplace_back(coded(a, c), 1.0);
        } else if (a == 0 && c > 0) {
          single(q.j, c, 1.0);
          for (uint32_t a2 = 1; a2 < width_[q.i]; ++a2) b.emplace_back(coded(a2, c), -1.0);
        } else if (a > 0 && c == 0) {
          single(q.i, a, 1.0);
          for (uint32_t c2 = 1; c2 < wj; ++c2) b.emplace_back(coded(a, c2), -1.0);
        } else {
          b.emplace_back(intercept, 1.0);
          for (uint32_t a2 = 1; a2 < width_[q.i]; ++a2) b.emplace_back(single_coded_[q.i] + a2 - 1, -1.0);
          for (uint32_t c2 = 1; c2 < wj; ++c2) b.emplace_back(single_coded_[q.j] + c2 - 1, -1.0);
          for (uint32_t a2 = 1; a2 < width_[q.i]; ++a2)
            for (uint32_t c2 = 1; c2 < wj; ++c2) b.emplace_back(coded(a2, c2), 1.0);
        }
        add();
      }
  }
  p[size_t{intercept} * stride + intercept] += intercept_var;
}

uint32_t DecisionPairFeatures::bucket(uint64_t group, uint64_t k, uint32_t offset, uint32_t buckets) const {
  uint64_t x = (group << 32) + k + 1;
  return offset + static_cast<uint32_t>(splitmix64(x) % buckets);
}

void DecisionPairFeatures::active(std::span<const Choice> a, std::vector<uint32_t>& out) const {
  out.clear();
  if (treatment_) {  // choice 0 is the baseline: no feature
    for (size_t i = 0; i < single_coded_.size(); ++i)
      if (a[i] > 0) out.push_back(single_coded_[i] + a[i] - 1);
    for (const Pair& p : pairs_)
      if (a[p.i] > 0 && a[p.j] > 0) out.push_back(p.coded + (a[p.i] - 1u) * (width_[p.j] - 1) + a[p.j] - 1);
    return;
  }
  if (!hashed_) {
    for (size_t i = 0; i < single_offset_.size(); ++i) out.push_back(single_offset_[i] + a[i]);
    for (const Pair& p : pairs_) out.push_back(p.offset + a[p.i] * width_[p.j] + a[p.j]);
    return;
  }
  const size_t d = single_offset_.size();
  for (size_t i = 0; i < d; ++i)
    out.push_back(hash_singles_ ? bucket(i, a[i], 0, single_buckets_) : single_offset_[i] + a[i]);
  if (!hash_pairs_) {
    for (const Pair& p : pairs_) out.push_back(p.offset + a[p.i] * width_[p.j] + a[p.j]);
    return;
  }
  for (size_t t = 0; t < pairs_.size(); ++t) {
    const Pair& p = pairs_[t];
    out.push_back(bucket(d + t, uint64_t{a[p.i]} * width_[p.j] + a[p.j], pair_offset_, pair_buckets_));
  }
}

}  // namespace mctsnas
