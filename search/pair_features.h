#pragma once
// Features of an architecture for the ridge surrogate (search/ridge_surrogate.h),
// from the decision vector alone (every space has one). A richer feature map (e.g.
// graph features from the LibTorch evaluator) plugs in through FeatureMap without
// touching the regression.
#include <cstdint>
#include <span>
#include <vector>

#include "space/search_space.h"

namespace mctsnas {

// Sparse count features: the indices of the active ones, each < size(). An
// index may appear more than once (hashed features that collide): the feature's
// value is then the number of times it appears, and every consumer sums over
// the list with repeats (x'Px, P x, w'x are all correct for such x).
class FeatureMap {
 public:
  virtual ~FeatureMap() = default;
  virtual size_t size() const = 0;
  virtual void active(std::span<const Choice> choices, std::vector<uint32_t>& out) const = 0;
  void active(const Architecture& a, std::vector<uint32_t>& out) const { active(std::span<const Choice>(a.choices), out); }
  // The prior covariance of the weights (up to the noise scale) of these
  // features and an intercept at index `intercept` (== size()), into the
  // row-major matrix p (stride >= size() + 1, zero on entry). Default:
  // independent weights, feature_var each, intercept_var for the intercept.
  virtual void prior_covariance(double feature_var, double intercept_var, double* p, size_t stride) const;
};

// One-hot per decision, plus one-hot per pair of decisions (i, j): all pairs while
// that stays within `all_pairs_max`, else only pairs of consecutive decisions.
// Pairs let a linear model see interactions (e.g. two ops that only help together).
//
// The ridge surrogate keeps a dense (size + 1)^2 matrix in memory, so the size
// is bounded by `max_features` for every space. Where the layout above would
// exceed it (large categorical spaces: 20 decisions x 50 choices gives 48,500),
// by default (Overflow::drop_pairs) the one-hots stay exact and consecutive
// pairs are kept, in decision order, while they fit; the rest are dropped.
// Where even the one-hots exceed the bound they are hashed into max_features
// buckets and no pairs are kept. Overflow::hash_pairs instead keeps every
// consecutive pair, hashed into the buckets the one-hots leave (the one-hots
// exact if they take at most half, else hashed into that half); it is not the
// default because at a few hundred trials the hashed pairs are noise that costs
// time (bench_engine_cost --sections variants, bench/results/engine_cost.md).
// The bucket of feature k of group g (g = decision index for one-hots, D + pair
// index for pairs) is splitmix64(g * 2^32 + k + 1) mod the group's bucket
// count, integer arithmetic only: the same on every platform. Two active
// features may land in one bucket (a count of 2, see FeatureMap).
// Every shipped space stays within the bound and keeps its exact layout.
//
// Coding::treatment is the same model in fewer features: the ridge's weights on
// the one-hots above, with their independent prior, expressed in treatment
// coding (choice 0 of each decision is the baseline: a decision's indicator for
// choice c >= 1, a pair's for both choices >= 1) with the prior covariance
// those one-hot weights induce (prior_covariance: B' Lambda^-1 B, where B
// writes each one-hot as a combination of the coded features and the
// intercept). Predictions and uncertainties are the one-hot model's (up to
// rounding; pair_features_test and ridge_surrogate_test check it), at (c - 1)
// instead of c features per decision and (ci - 1)(cj - 1) instead of ci cj per
// pair, so fewer features are active and the ridge's O(F^2) update is cheaper.
// Hashed layouts stay one-hot.
class DecisionPairFeatures final : public FeatureMap {
 public:
  enum class Coding { one_hot, treatment };
  // The largest shipped layout is 2,091 (cells_seq2seq, consecutive pairs);
  // this leaves a quarter of headroom for user cell spaces and keeps a
  // 2-decision x 50-choice space exact, while P stays <= 2,608^2 doubles (54 MB).
  static constexpr size_t kMaxFeatures = 2600;
  enum class Overflow { drop_pairs, hash_pairs };
  explicit DecisionPairFeatures(const SearchSpace& space, size_t all_pairs_max = 2048,
                                size_t max_features = kMaxFeatures, Overflow overflow = Overflow::drop_pairs,
                                Coding coding = Coding::one_hot);
  using FeatureMap::active;
  size_t size() const override { return size_; }
  void active(std::span<const Choice> choices, std::vector<uint32_t>& out) const override;
  void prior_covariance(double feature_var, double intercept_var, double* p, size_t stride) const override;
  bool treatment() const { return treatment_; }
  bool all_pairs() const { return all_pairs_; }
  bool hashed() const { return hashed_; }
  // One-hot features of the exact (unhashed) layout, before the bound applies.
  size_t exact_size() const { return exact_size_; }

 private:
  // Lists the decisions and pairs (pairs_ without offsets) and sets exact_size_;
  // returns the number of one-hot features.
  size_t list_features(const SearchSpace& space, size_t all_pairs_max, size_t max_features);
  void lay_out_exact(size_t singles);
  void lay_out_dropping_pairs(size_t singles, size_t max_features);
  void lay_out_hashing_pairs(size_t singles, size_t max_features);
  uint32_t bucket(uint64_t group, uint64_t k, uint32_t offset, uint32_t buckets) const;
  void code_treatment();
  std::vector<uint32_t> single_offset_;   // per decision
  std::vector<uint32_t> width_;           // choices per decision
  struct Pair { uint32_t i, j, offset, coded; };  // coded: first treatment-coded feature
  std::vector<Pair> pairs_;
  size_t size_ = 0;
  size_t exact_size_ = 0;
  bool all_pairs_ = false;
  bool hashed_ = false;
  bool hash_singles_ = false;
  bool hash_pairs_ = false;
  bool treatment_ = false;
  std::vector<uint32_t> single_coded_;  // treatment: first coded feature per decision
  uint32_t single_buckets_ = 0, pair_offset_ = 0, pair_buckets_ = 0;  // hashed layout
};

}  // namespace mctsnas
