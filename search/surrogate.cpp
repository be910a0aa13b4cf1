#include "search/surrogate.h"

#include <cmath>

#include "common/error.h"

namespace mctsnas {

DecisionPairFeatures::DecisionPairFeatures(const SearchSpace& space, size_t max_features) {
  const int d = space.num_decisions();
  uint32_t off = 0;
  for (int i = 0; i < d; ++i) {
    single_offset_.push_back(off);
    width_.push_back(static_cast<uint32_t>(space.decision(i).choices.size()));
    off += width_.back();
  }
  size_t all = off;
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j < d; ++j) all += size_t{width_[i]} * width_[j];
  all_pairs_ = all <= max_features;
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j < d; ++j) {
      if (!all_pairs_ && j != i + 1) continue;
      pairs_.push_back(Pair{static_cast<uint32_t>(i), static_cast<uint32_t>(j), off});
      off += width_[i] * width_[j];
    }
  size_ = off;
}

void DecisionPairFeatures::active(const Architecture& a, std::vector<uint32_t>& out) const {
  out.clear();
  for (size_t i = 0; i < single_offset_.size(); ++i) out.push_back(single_offset_[i] + a.choices[i]);
  for (const Pair& p : pairs_)
    out.push_back(p.offset + a.choices[p.i] * width_[p.j] + a.choices[p.j]);
}

RidgeSurrogate::RidgeSurrogate(std::unique_ptr<FeatureMap> features, double lambda)
    : features_(std::move(features)) {
  MCTSNAS_CHECK(lambda > 0, "ridge lambda must be positive");
  dim_ = features_->size() + 1;
  w_.assign(dim_, 0.0);
  p_.assign(dim_ * dim_, 0.0);
  for (size_t i = 0; i + 1 < dim_; ++i) p_[i * dim_ + i] = 1.0 / lambda;
  // The intercept is (almost) unpenalized; rewards are also offset by the first
  // one, so this large prior variance is well conditioned.
  p_[(dim_ - 1) * dim_ + dim_ - 1] = 1e4;
  px_.assign(dim_, 0.0);
}

void RidgeSurrogate::observe(const Architecture& a, double reward) {
  MCTSNAS_CHECK(std::isfinite(reward), "surrogate observes finite rewards only");
  if (n_ == 0) offset_ = reward;
  features_->active(a, scratch_);
  scratch_.push_back(static_cast<uint32_t>(dim_ - 1));
  // Sherman-Morrison: P x (x binary, sparse), gain k = P x / (1 + x'P x).
  const size_t n = dim_;
  for (size_t r = 0; r < n; ++r) {
    const double* row = &p_[r * n];
    double s = 0;
    for (uint32_t c : scratch_) s += row[c];
    px_[r] = s;
  }
  double xpx = 0;
  for (uint32_t c : scratch_) xpx += px_[c];
  const double denom = 1.0 + xpx;
  double pred = 0;
  for (uint32_t c : scratch_) pred += w_[c];
  const double err = (reward - offset_) - pred;
  sq_err_sum_ += err * err / denom;
  for (size_t r = 0; r < n; ++r) w_[r] += px_[r] * err / denom;
  // P -= (P x)(P x)' / denom; P stays symmetric.
  for (size_t r = 0; r < n; ++r) {
    const double f = px_[r] / denom;
    if (f == 0) continue;
    double* row = &p_[r * n];
    for (size_t c = 0; c < n; ++c) row[c] -= f * px_[c];
  }
  ++n_;
}

double RidgeSurrogate::predict(const Architecture& a) const {
  features_->active(a, scratch_);
  double s = w_[dim_ - 1];
  for (uint32_t c : scratch_) s += w_[c];
  return s + offset_;
}

double RidgeSurrogate::uncertainty(const Architecture& a) const {
  features_->active(a, scratch_);
  scratch_.push_back(static_cast<uint32_t>(dim_ - 1));
  double v = 0;
  for (uint32_t r : scratch_) {
    const double* row = &p_[r * dim_];
    for (uint32_t c : scratch_) v += row[c];
  }
  const double noise = n_ > 0 ? sq_err_sum_ / static_cast<double>(n_) : 1.0;
  return std::sqrt(std::max(v, 0.0) * noise);
}

void RidgeSurrogate::save(ByteWriter& out) const {
  out.put<uint64_t>(dim_);
  out.put(offset_);
  out.put(n_);
  out.put(sq_err_sum_);
  out.put_vector(w_);
  out.put_vector(p_);
}

void RidgeSurrogate::load(ByteReader& in) {
  if (in.get<uint64_t>() != dim_) in.fail("surrogate feature count differs from this space's");
  offset_ = in.get<double>();
  n_ = in.get<int64_t>();
  sq_err_sum_ = in.get<double>();
  w_ = in.get_vector<double>();
  p_ = in.get_vector<double>();
  if (w_.size() != dim_ || p_.size() != dim_ * dim_) in.fail("surrogate matrix has the wrong size");
}

std::unique_ptr<Surrogate> make_surrogate(const std::string& name, const SearchSpace& space) {
  if (name == "none") return nullptr;
  if (name == "ridge") return std::make_unique<RidgeSurrogate>(std::make_unique<DecisionPairFeatures>(space));
  throw Error("search.mcts.surrogate: unknown surrogate '" + name + "' (expected ridge or none)");
}

}  // namespace mctsnas
