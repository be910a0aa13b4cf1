#include "search/surrogate.h"

#include <algorithm>
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

void DecisionPairFeatures::active(std::span<const Choice> a, std::vector<uint32_t>& out) const {
  out.clear();
  for (size_t i = 0; i < single_offset_.size(); ++i) out.push_back(single_offset_[i] + a[i]);
  for (const Pair& p : pairs_) out.push_back(p.offset + a[p.i] * width_[p.j] + a[p.j]);
}

void Surrogate::predict_ucb(std::span<const Choice* const> archs, size_t decisions, double beta, double* out) const {
  Architecture a;
  for (size_t i = 0; i < archs.size(); ++i) {
    a.choices.assign(archs[i], archs[i] + decisions);
    double v = predict(a);
    if (beta != 0) v += beta * uncertainty(a);
    out[i] = v;
  }
}

namespace {

// row r -= (px_r / denom) px, element by element: a multiply, then a subtract,
// never fused into an FMA (GCC fuses by default in C++, which would change the
// bits and so the search), so every vector width gives the same result.
// This is the O(F^2) cost of an exact update; AVX-512 where the CPU has it.
#define MCTSNAS_RANK_ONE_ROWS                                \
  for (size_t r = 0; r < n; ++r) {                           \
    const double f = px[r] / denom;                          \
    if (f == 0) continue;                                    \
    double* row = p + r * n;                                 \
    for (size_t c = 0; c < n; ++c) row[c] -= f * px[c];      \
  }

__attribute__((optimize("fp-contract=off"))) void rank_one_rows(double* p, const double* px, size_t n,
                                                                 double denom) {
  MCTSNAS_RANK_ONE_ROWS
}

#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx512f"), optimize("fp-contract=off"))) void rank_one_rows_avx512(double* p,
                                                                                         const double* px,
                                                                                         size_t n, double denom) {
  MCTSNAS_RANK_ONE_ROWS
}
#endif
#undef MCTSNAS_RANK_ONE_ROWS

void rank_one_update(double* p, const double* px, size_t n, double denom) {
#if defined(__GNUC__) && defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) return rank_one_rows_avx512(p, px, n, denom);
#endif
  rank_one_rows(p, px, n, denom);
}

}  // namespace

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
  // Row sums over the active columns, four rows at a time: independent add
  // chains (each row's sum keeps its order, so P x is bit-identical).
  const size_t m = scratch_.size();
  const uint32_t* act = scratch_.data();
  size_t r = 0;
  for (; r + 4 <= n; r += 4) {
    const double* r0 = &p_[r * n];
    const double* r1 = r0 + n;
    const double* r2 = r1 + n;
    const double* r3 = r2 + n;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t t = 0; t < m; ++t) {
      const uint32_t c = act[t];
      s0 += r0[c];
      s1 += r1[c];
      s2 += r2[c];
      s3 += r3[c];
    }
    px_[r] = s0;
    px_[r + 1] = s1;
    px_[r + 2] = s2;
    px_[r + 3] = s3;
  }
  for (; r < n; ++r) {
    const double* row = &p_[r * n];
    double s = 0;
    for (size_t t = 0; t < m; ++t) s += row[act[t]];
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
  // P -= (P x)(P x)' / denom (symmetric up to rounding).
  rank_one_update(p_.data(), px_.data(), n, denom);
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

void RidgeSurrogate::predict_ucb(std::span<const Choice* const> archs, size_t decisions, double beta,
                                 double* out) const {
  // The same sums as predict() and uncertainty(), term by term in the same order
  // (so the results are bit-identical and rankings never change), but the x'Px
  // sums of four candidates are interleaved: each is a chain of dependent adds,
  // so one at a time runs at add latency; four at once run at load throughput.
  const size_t m = archs.size();
  batch_active_.clear();
  batch_begin_.clear();
  for (size_t i = 0; i < m; ++i) {
    batch_begin_.push_back(static_cast<uint32_t>(batch_active_.size()));
    features_->active(std::span<const Choice>(archs[i], decisions), scratch_);
    batch_active_.insert(batch_active_.end(), scratch_.begin(), scratch_.end());
    batch_active_.push_back(static_cast<uint32_t>(dim_ - 1));  // the intercept, last
  }
  batch_begin_.push_back(static_cast<uint32_t>(batch_active_.size()));
  const double noise = n_ > 0 ? sq_err_sum_ / static_cast<double>(n_) : 1.0;
  auto finish = [&](size_t i, double v) {
    const uint32_t* a = &batch_active_[batch_begin_[i]];
    const size_t len = batch_begin_[i + 1] - batch_begin_[i];
    double s = w_[dim_ - 1];
    for (size_t t = 0; t + 1 < len; ++t) s += w_[a[t]];
    double r = s + offset_;
    if (beta != 0) r += beta * std::sqrt(std::max(v, 0.0) * noise);
    out[i] = r;
  };
  const double* p = p_.data();
  size_t i = 0;
  if (beta != 0) {
    for (; i + 4 <= m; i += 4) {
      const size_t len = batch_begin_[i + 1] - batch_begin_[i];
      bool same = true;
      for (size_t j = 1; j < 4; ++j) same &= batch_begin_[i + j + 1] - batch_begin_[i + j] == len;
      if (!same) break;
      const uint32_t* a0 = &batch_active_[batch_begin_[i]];
      const uint32_t* a1 = &batch_active_[batch_begin_[i + 1]];
      const uint32_t* a2 = &batch_active_[batch_begin_[i + 2]];
      const uint32_t* a3 = &batch_active_[batch_begin_[i + 3]];
      double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
      for (size_t t = 0; t < len; ++t) {
        const double* r0 = p + size_t{a0[t]} * dim_;
        const double* r1 = p + size_t{a1[t]} * dim_;
        const double* r2 = p + size_t{a2[t]} * dim_;
        const double* r3 = p + size_t{a3[t]} * dim_;
        for (size_t u = 0; u < len; ++u) {
          v0 += r0[a0[u]];
          v1 += r1[a1[u]];
          v2 += r2[a2[u]];
          v3 += r3[a3[u]];
        }
      }
      finish(i, v0);
      finish(i + 1, v1);
      finish(i + 2, v2);
      finish(i + 3, v3);
    }
  }
  for (; i < m; ++i) {
    double v = 0;
    if (beta != 0) {
      const uint32_t* a = &batch_active_[batch_begin_[i]];
      const size_t len = batch_begin_[i + 1] - batch_begin_[i];
      for (size_t t = 0; t < len; ++t) {
        const double* row = p + size_t{a[t]} * dim_;
        for (size_t u = 0; u < len; ++u) v += row[a[u]];
      }
    }
    finish(i, v);
  }
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
