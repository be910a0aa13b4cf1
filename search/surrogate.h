#pragma once
// A cheap model of reward as a function of the architecture, fitted on finished
// trials. The tree uses it only to rank candidates (priors, which edit first), so
// any monotone error in its scale does no harm.
//
// Features come from the decision vector alone (every space has one); a richer
// feature map (e.g. graph features from the LibTorch evaluator) plugs in through
// FeatureMap without touching the regression.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/binary_io.h"
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
// exact if they take at most half, else hashed into that half). Measured on a
// 20 x 50 space with pair interactions (bench_engine_cost --sections variants,
// bench/results/engine_cost.md): hashing ~47,500 pair features into 1,600
// buckets is noise at a few hundred trials: best reward after 50..300 trials
// below dropping them, at 4x the cost.
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
// rounding; surrogate_test checks it), at (c - 1) instead of c features per
// decision and (ci - 1)(cj - 1) instead of ci cj per pair: 265 instead of 405
// on NB201, and ~15 active features instead of 21, so the ridge's O(F^2) update
// costs ~0.4x. Hashed layouts stay one-hot.
class DecisionPairFeatures final : public FeatureMap {
 public:
  enum class Coding { one_hot, treatment };
  // 2,600: the largest shipped layout is 2,091 (cells_seq2seq, consecutive
  // pairs); this leaves a quarter of headroom for user cell spaces and keeps a
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

// Per-candidate cache for Surrogate::predict_ucb_memo, owned by the caller (one
// per candidate list) and filled by the surrogate: the candidate's active
// features and its score terms at the surrogate state they were computed at.
// Drop it (reset) when the candidate list changes or the surrogate is loaded.
struct ScoreMemos {
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr uint32_t kEmpty32 = ~uint32_t{0};
  struct Entry {
    uint64_t version = kEmpty;     // surrogate state of mean/var (kEmpty: none yet)
    double mean = 0, var = 0;
    uint32_t feat_begin = kEmpty32;  // into feats (kEmpty32: not computed yet)
  };
  std::vector<Entry> entry;        // one per candidate: one cache line per lookup
  std::vector<uint32_t> feats;
  void reset(size_t n) {
    entry.assign(n, Entry{});
    feats.clear();
  }
};
class Surrogate {
 public:
  virtual ~Surrogate() = default;
  virtual std::string name() const = 0;
  // reward must be finite (callers skip failed trials).
  virtual void observe(const Architecture& a, double reward) = 0;
  virtual double predict(const Architecture& a) const = 0;
  // Standard deviation of the prediction (model uncertainty x noise level); 0 when unknown.
  virtual double uncertainty(const Architecture& a) const { (void)a; return 0.0; }
  // out[i] = predict(a_i) + beta * uncertainty(a_i) (predict alone when beta == 0),
  // bit for bit what those calls return; archs[i] points at `decisions` choices.
  // The tree scores every child of every node on a descent this way, so a
  // surrogate may override it with a faster batch computation.
  virtual void predict_ucb(std::span<const Choice* const> archs, size_t decisions, double beta, double* out) const;
  // The same values as predict_ucb, with memos[idx[i]] caching candidate i's
  // work between calls (memos sized for the whole list, at least max idx + 1).
  // The result never depends on what the memo held (bit for bit), so a cache
  // hit or miss changes no ranking; it only makes rescoring after a few new
  // observations cheap. The default ignores the memo.
  virtual void predict_ucb_memo(std::span<const Choice* const> archs, std::span<const uint32_t> idx,
                                size_t decisions, double beta, ScoreMemos& memos, double* out) const {
    (void)idx;
    (void)memos;
    predict_ucb(archs, decisions, beta, out);
  }
  virtual int64_t num_observations() const = 0;
  virtual void save(ByteWriter& out) const = 0;
  virtual void load(ByteReader& in) = 0;
};

// Ridge regression (prior covariance of the weights from the feature map:
// 1/lambda per weight by default; the intercept nearly free), updated after
// every observation by recursive least squares: after n observations the
// weights equal the batch ridge solution on those n (up to rounding: P0 is
// single precision, ~1e-6 relative; everything else double).
//
// P = (X'X + Lambda)^-1 is kept as P = P0 - sum_j u_j u_j' / d_j: a flushed,
// exactly symmetric matrix P0 plus up to kFlushEvery pending rank-one terms
// (u_j = P x_j at observation j, d_j = 1 + x_j'P x_j). An observation costs the
// active rows of P0 plus the pending terms; every kFlushEvery observations the
// pending terms are folded into P0 as one blocked rank-m update of one
// triangle (compute-bound, mirrored), instead of m dense memory-bound
// rank-one passes. Likewise the weights: w = w0 + sum_j u_j g_j.
// A prediction is defined as base + pending terms in order:
//   mean(x) = offset + w0'x + sum_j (u_j'x) g_j
//   var(x)  = x'P0 x - sum_j (u_j'x)^2 / d_j
// so a memo computed after observation j continues with terms j+1.. and gives
// the same bits as a fresh computation (each term is a sparse dot over x's
// ~15-22 active features), until the next flush changes the base.
// save() writes the observations, not P: load() replays them (see surrogate.cpp).
class RidgeSurrogate final : public Surrogate {
 public:
  static constexpr size_t kFlushEvery = 32;
  RidgeSurrogate(std::unique_ptr<FeatureMap> features, double lambda = 1.0);
  std::string name() const override { return "ridge"; }
  void observe(const Architecture& a, double reward) override;
  double predict(const Architecture& a) const override;
  double uncertainty(const Architecture& a) const override;
  void predict_ucb(std::span<const Choice* const> archs, size_t decisions, double beta, double* out) const override;
  void predict_ucb_memo(std::span<const Choice* const> archs, std::span<const uint32_t> idx, size_t decisions,
                        double beta, ScoreMemos& memos, double* out) const override;
  int64_t num_observations() const override { return n_; }
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;
  // Current weights (w0 + pending terms), the last one the intercept; for tests.
  std::vector<double> weights() const;

 private:
  // Terms j in [from, pending_) applied to (mean, var) for features f.
  void apply_pending(const uint32_t* f, size_t len, size_t from, double& mean, double& var) const;
  void base_terms(const uint32_t* f, size_t len, double& mean, double& var) const;
  // mean and var of an architecture from scratch: base terms, then every pending one.
  void fresh_terms(std::span<const Choice> a, double& mean, double& var) const;
  double noise() const;  // the noise variance estimate that scales var
  double ucb(double mean, double var, double beta, double nz) const;  // nz: noise()
  void flush();
  void reset();  // the prior: no observations
  // One observation with active features f (the intercept last).
  void update(const uint32_t* f, size_t len, double reward);

  std::unique_ptr<FeatureMap> features_;
  double lambda_;
  size_t dim_ = 0;            // features + 1 (intercept, last)
  size_t stride_ = 0;         // dim_ rounded up to 16: rows of p0_ and pending vectors
  std::vector<double> w0_;    // stride_ (zero padded)
  std::vector<float> p0_;     // stride_ x stride_, row-major, exactly symmetric, zero padded (float: see flush)
  std::vector<double> u_;     // kFlushEvery x stride_: pending u_j
  std::vector<double> invd_;  // kFlushEvery: 1 / d_j
  std::vector<double> gain_;  // kFlushEvery: g_j = err_j / d_j
  size_t pending_ = 0;
  double offset_ = 0;         // first reward: rewards are fitted relative to it
  int64_t n_ = 0;
  double sq_err_sum_ = 0;     // sum of e^2 / (1 + x'Px): estimates the noise variance
  mutable std::vector<uint32_t> scratch_;
  std::vector<double> px_;
  std::vector<double> s_;     // u_j'x per pending j (observe)
  // Every observation in order (what save() writes and load() replays): per
  // observation its active-feature count, then the features (no intercept).
  std::vector<uint32_t> log_feats_;
  std::vector<double> log_reward_;
};

namespace detail {
// The ridge flush kernel (P0 -= sum_j v_j u_j', upper triangle mirrored, n a
// multiple of 16) on one instruction set: 0 scalar, 1 AVX2, 2 AVX-512. False
// (nothing done) where this CPU lacks it. Exposed so a test can check that
// every variant gives the same bits.
bool ridge_flush(int isa, float* p0, size_t n, const float* u, const float* v, size_t m);
}  // namespace detail

// "ridge" or "none" (nullptr: uniform priors). Throws Error for another name.
std::unique_ptr<Surrogate> make_surrogate(const std::string& name, const SearchSpace& space);

}  // namespace mctsnas
