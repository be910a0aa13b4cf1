#pragma once
// The shipped surrogate: Bayesian ridge regression on pair features
// (search/pair_features.h), updated after every trial.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "search/pair_features.h"
#include "search/ridge_kernels.h"
#include "search/surrogate.h"

namespace mctsnas {

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
// save() writes the observations, not P: load() replays them (see ridge_surrogate.cpp).
// Fantasies (Surrogate::add_fantasy) are more rank-one terms after the pending
// ones, with gain 0: every variance subtracts them, no mean changes; observe()
// drops them (they were terms of the P before it).
// The arithmetic is in search/ridge_kernels.h.
class RidgeSurrogate final : public Surrogate {
 public:
  static constexpr size_t kFlushEvery = 32;
  // Fantasies beyond this many are ignored (memory: one row of P each).
  static constexpr size_t kMaxFantasies = 256;
  RidgeSurrogate(std::unique_ptr<FeatureMap> features, double lambda = 1.0);
  std::string name() const override { return "ridge"; }
  void observe(const Architecture& a, double reward) override;
  double predict(const Architecture& a) const override;
  double uncertainty(const Architecture& a) const override;
  void predict_ucb(std::span<const Choice* const> archs, size_t decisions, double beta, double* out) const override;
  void predict_ucb_memo(std::span<const Choice* const> archs, std::span<const uint32_t> idx, size_t decisions,
                        double beta, ScoreMemos& memos, double* out) const override;
  void add_fantasy(const Architecture& a) override;
  void clear_fantasies() override { fantasies_ = 0; }
  int64_t num_observations() const override { return n_; }
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;
  // Current weights (w0 + pending terms), the last one the intercept; for tests.
  std::vector<double> weights() const;

 private:
  ridge::PendingTerms pending_terms() const;  // the pending_ terms, for the kernels
  ridge::PendingTerms fantasy_terms() const;
  // mean and var of an architecture from scratch: base terms, then every pending one.
  void fresh_terms(std::span<const Choice> a, double& mean, double& var) const;
  double noise() const;  // the noise variance estimate that scales var
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
  std::vector<double> fant_u_;     // fantasies_ x stride_: P x_f with the terms before it
  std::vector<double> fant_invd_;  // 1 / (1 + x_f'P x_f)
  size_t fantasies_ = 0;
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

}  // namespace mctsnas
