#include "search/ridge_surrogate.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace mctsnas {

RidgeSurrogate::RidgeSurrogate(std::unique_ptr<FeatureMap> features, double lambda)
    : features_(std::move(features)), lambda_(lambda) {
  MCTSNAS_CHECK(lambda > 0, "ridge lambda must be positive");
  dim_ = features_->size() + 1;
  stride_ = (dim_ + 15) / 16 * 16;
  reset();
}

void RidgeSurrogate::reset() {
  w0_.assign(stride_, 0.0);
  // The prior: weights with variance 1 / lambda (as the feature map lays them
  // out); the intercept (almost) unpenalized, variance 100 (rewards are also
  // offset by the first one, so it is well conditioned, and float P0 keeps
  // ~1e-6 relative precision where 1e4 lost ~1e-4).
  std::vector<double> prior(stride_ * stride_, 0.0);
  features_->prior_covariance(1.0 / lambda_, 1e2, prior.data(), stride_);
  p0_.assign(prior.begin(), prior.end());
  u_.assign(kFlushEvery * stride_, 0.0);
  invd_.assign(kFlushEvery, 0.0);
  gain_.assign(kFlushEvery, 0.0);
  px_.assign(stride_, 0.0);
  s_.assign(kFlushEvery, 0.0);
  pending_ = 0;
  fantasies_ = 0;
  offset_ = 0;
  n_ = 0;
  sq_err_sum_ = 0;
  log_feats_.clear();
  log_reward_.clear();
}

ridge::PendingTerms RidgeSurrogate::pending_terms() const {
  return ridge::PendingTerms{u_.data(), gain_.data(), invd_.data(), stride_, pending_};
}

ridge::PendingTerms RidgeSurrogate::fantasy_terms() const {
  return ridge::PendingTerms{fant_u_.data(), nullptr, fant_invd_.data(), stride_, fantasies_};
}

void RidgeSurrogate::add_fantasy(const Architecture& a) {
  if (fantasies_ == kMaxFantasies) return;
  features_->active(a, scratch_);
  scratch_.push_back(static_cast<uint32_t>(dim_ - 1));
  const uint32_t* f = scratch_.data();
  const size_t len = scratch_.size();
  // v = P x with P = P0 - pending terms - earlier fantasies (Sherman-Morrison).
  const ridge::PendingTerms terms = pending_terms();
  ridge::pending_mean(w0_.data(), terms, f, len, s_.data());
  ridge::p_times_x(p0_.data(), stride_, f, len, terms, s_.data(), px_.data());
  ridge::subtract_terms(fantasy_terms(), f, len, px_.data());
  const double denom = 1.0 + ridge::sparse_sum(px_.data(), f, len);
  fant_u_.resize((fantasies_ + 1) * stride_);
  std::copy(px_.begin(), px_.end(), fant_u_.begin() + static_cast<std::ptrdiff_t>(fantasies_ * stride_));
  fant_invd_.resize(fantasies_ + 1);
  fant_invd_[fantasies_] = 1.0 / denom;
  ++fantasies_;
}

double RidgeSurrogate::noise() const { return n_ > 0 ? sq_err_sum_ / static_cast<double>(n_) : 1.0; }

void RidgeSurrogate::observe(const Architecture& a, double reward) {
  MCTSNAS_CHECK(std::isfinite(reward), "surrogate observes finite rewards only");
  clear_fantasies();
  features_->active(a, scratch_);
  log_feats_.push_back(static_cast<uint32_t>(scratch_.size()));
  log_feats_.insert(log_feats_.end(), scratch_.begin(), scratch_.end());
  log_reward_.push_back(reward);
  scratch_.push_back(static_cast<uint32_t>(dim_ - 1));
  update(scratch_.data(), scratch_.size(), reward);
}

void RidgeSurrogate::update(const uint32_t* f, size_t len, double reward) {
  if (n_ == 0) offset_ = reward;
  // Sherman-Morrison: u = P x (x binary, sparse), d = 1 + x'P x, with
  // P x = P0 x - sum_j u_j (u_j'x / d_j).
  const ridge::PendingTerms terms = pending_terms();
  const double mean = ridge::pending_mean(w0_.data(), terms, f, len, s_.data());
  ridge::p_times_x(p0_.data(), stride_, f, len, terms, s_.data(), px_.data());
  const double xpx = ridge::sparse_sum(px_.data(), f, len);
  const double denom = 1.0 + xpx;
  const double err = (reward - offset_) - mean;
  sq_err_sum_ += err * err / denom;
  std::copy(px_.begin(), px_.end(), u_.begin() + static_cast<std::ptrdiff_t>(pending_ * stride_));
  invd_[pending_] = 1.0 / denom;
  gain_[pending_] = err / denom;
  ++pending_;
  ++n_;
  if (pending_ == kFlushEvery) flush();
}

void RidgeSurrogate::flush() {
  ridge::flush(p0_.data(), w0_.data(), pending_terms());
  pending_ = 0;
}

std::vector<double> RidgeSurrogate::weights() const {
  std::vector<double> w(dim_);
  ridge::weights(w0_.data(), pending_terms(), dim_, w.data());
  return w;
}

void RidgeSurrogate::fresh_terms(std::span<const Choice> a, double& mean, double& var) const {
  features_->active(a, scratch_);
  scratch_.push_back(static_cast<uint32_t>(dim_ - 1));
  ridge::base_terms(p0_.data(), w0_.data(), stride_, scratch_.data(), scratch_.size(), mean, var);
  ridge::apply_pending(pending_terms(), scratch_.data(), scratch_.size(), 0, mean, var);
  ridge::shrink_var(fantasy_terms(), scratch_.data(), scratch_.size(), var);
}

double RidgeSurrogate::predict(const Architecture& a) const {
  double mean, var;
  fresh_terms(a.choices, mean, var);
  return ridge::ucb(offset_, mean, var, 0.0, 1.0);
}

double RidgeSurrogate::uncertainty(const Architecture& a) const {
  double mean, var;
  fresh_terms(a.choices, mean, var);
  return std::sqrt(std::max(var, 0.0) * noise());
}

void RidgeSurrogate::predict_ucb(std::span<const Choice* const> archs, size_t decisions, double beta,
                                 double* out) const {
  for (size_t i = 0; i < archs.size(); ++i) {
    double mean, var;
    fresh_terms(std::span<const Choice>(archs[i], decisions), mean, var);
    out[i] = ridge::ucb(offset_, mean, var, beta, noise());
  }
}

void RidgeSurrogate::predict_ucb_memo(std::span<const Choice* const> archs, std::span<const uint32_t> idx,
                                      size_t decisions, double beta, ScoreMemos& memos, double* out) const {
  const uint64_t now = static_cast<uint64_t>(n_);
  const uint64_t epoch = now - pending_;  // observations folded into P0, w0
  const double nz = noise();
  const ridge::PendingTerms terms = pending_terms();
  const ridge::PendingTerms fantasies = fantasy_terms();
  for (size_t i = 0; i < archs.size(); ++i) {
    ScoreMemos::Entry& e = memos.entry[idx[i]];
    if (e.feat_begin == ScoreMemos::kEmpty32) {
      features_->active(std::span<const Choice>(archs[i], decisions), scratch_);
      scratch_.push_back(static_cast<uint32_t>(dim_ - 1));
      e.feat_begin = static_cast<uint32_t>(memos.feats.size());
      memos.feats.push_back(static_cast<uint32_t>(scratch_.size()));
      memos.feats.insert(memos.feats.end(), scratch_.begin(), scratch_.end());
    }
    const uint32_t* f = &memos.feats[e.feat_begin];
    const size_t len = f[0];
    ++f;
    if (e.version == ScoreMemos::kEmpty || e.version < epoch || e.version > now) {
      ridge::base_terms(p0_.data(), w0_.data(), stride_, f, len, e.mean, e.var);
      ridge::apply_pending(terms, f, len, 0, e.mean, e.var);
    } else {
      ridge::apply_pending(terms, f, len, static_cast<size_t>(e.version - epoch), e.mean, e.var);
    }
    e.version = now;
    double var = e.var;  // the memo keeps the variance without the fantasies
    ridge::shrink_var(fantasies, f, len, var);
    out[i] = ridge::ucb(offset_, e.mean, var, beta, nz);
  }
}

// The state is a pure function of the observations in order, so a checkpoint
// holds those (active features and reward per observation) and load() replays
// them through the same update: bit-identical to the saved state, and the file
// grows with the trials (~4 bytes per active feature) instead of holding the
// dense matrix (54 MB at the feature bound, written after every trial).
void RidgeSurrogate::save(ByteWriter& out) const {
  out.put<uint64_t>(dim_);
  out.put(n_);
  out.put_vector(log_feats_);
  out.put_vector(log_reward_);
}

void RidgeSurrogate::load(ByteReader& in) {
  if (in.get<uint64_t>() != dim_) in.fail("surrogate feature count differs from this space's");
  const auto n = in.get<int64_t>();
  auto feats = in.get_vector<uint32_t>();
  auto rewards = in.get_vector<double>();
  if (n < 0 || rewards.size() != static_cast<uint64_t>(n)) in.fail("surrogate observation count mismatch");
  // Check every record before touching the state: a bad file leaves it as it was.
  size_t at = 0;
  for (size_t k = 0; k < rewards.size(); ++k) {
    if (!std::isfinite(rewards[k])) in.fail("surrogate observation " + std::to_string(k) + " has a non-finite reward");
    if (at >= feats.size() || feats[at] > feats.size() - at - 1)
      in.fail("surrogate observation " + std::to_string(k) + " runs past the feature log");
    const size_t len = feats[at];
    for (size_t t = 0; t < len; ++t)
      if (feats[at + 1 + t] >= dim_ - 1) in.fail("surrogate observation " + std::to_string(k) + " has a feature out of range");
    at += 1 + len;
  }
  if (at != feats.size()) in.fail("surrogate feature log has trailing data");
  reset();
  std::vector<uint32_t> f;
  at = 0;
  for (double r : rewards) {
    const size_t len = feats[at];
    f.assign(feats.begin() + static_cast<std::ptrdiff_t>(at + 1),
             feats.begin() + static_cast<std::ptrdiff_t>(at + 1 + len));
    f.push_back(static_cast<uint32_t>(dim_ - 1));
    update(f.data(), f.size(), r);
    at += 1 + len;
  }
  log_feats_ = std::move(feats);
  log_reward_ = std::move(rewards);
}

}  // namespace mctsnas
