#include "search/surrogate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

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
  const bool hash_pairs = overflow == Overflow::hash_pairs;
  MCTSNAS_CHECK(max_features >= 2 && max_features < (size_t{1} << 31), "feature bound out of range");
  const int d = space.num_decisions();
  uint32_t off = 0;
  for (int i = 0; i < d; ++i) {
    single_offset_.push_back(off);
    width_.push_back(static_cast<uint32_t>(space.decision(i).choices.size()));
    off += width_.back();
  }
  const size_t singles = off;
  size_t all = off;
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j < d; ++j) all += size_t{width_[i]} * width_[j];
  all_pairs_ = all <= all_pairs_max && all <= max_features;
  size_t exact = singles;
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j < d; ++j) {
      if (!all_pairs_ && j != i + 1) continue;
      pairs_.push_back(Pair{static_cast<uint32_t>(i), static_cast<uint32_t>(j), static_cast<uint32_t>(0), 0});
      exact += size_t{width_[i]} * width_[j];
    }
  exact_size_ = exact;
  hashed_ = exact > max_features;
  if (!hashed_) {
    uint64_t o = singles;
    for (Pair& p : pairs_) {
      p.offset = static_cast<uint32_t>(o);
      o += uint64_t{width_[p.i]} * width_[p.j];
    }
    size_ = exact;
    if (coding == Coding::treatment) code_treatment();
    return;
  }
  // Bounded layout: see the header.
  if (!hash_pairs) {
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
    if (coding == Coding::treatment && !hash_singles_) code_treatment();
    return;
  }
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

// Every multiply-add in the ridge arithmetic is a multiply, then an add, never
// fused into an FMA (this file is built with -ffp-contract=off, see
// search/CMakeLists.txt): GCC fuses by default where the target has FMA, and
// the bits (so the search) would then depend on the CPU the binary runs on.
// The hot kernels get AVX-512 / AVX2 clones (same operations, same order per
// element, so the same bits) picked at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define MCTSNAS_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MCTSNAS_KERNEL
#endif

// sum_t v[f[t]] in a fixed order, in double: four interleaved chains (so it
// runs at load throughput, not add latency), then (c0 + c1) + (c2 + c3).
inline double sparse_sum(const double* v, const uint32_t* f, size_t len) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  size_t t = 0;
  for (; t + 4 <= len; t += 4) {
    a0 += v[f[t]];
    a1 += v[f[t + 1]];
    a2 += v[f[t + 2]];
    a3 += v[f[t + 3]];
  }
  for (; t < len; ++t) a0 += v[f[t]];
  return (a0 + a1) + (a2 + a3);
}

// px = sum of the rows f[t] of p0, minus sum_j u_j * coef[j], in double; n a
// multiple of 16.
MCTSNAS_KERNEL void px_kernel(const float* p0, size_t n, const uint32_t* f, size_t len, const double* u,
                              const double* coef, size_t pending, double* px) {
  // 16 columns at a time, so the sums stay in registers (one pass over the
  // rows). GCC vector types: each lane is an ordinary IEEE add or multiply, so
  // every clone computes the same bits.
#if defined(__GNUC__)
  typedef double d8 __attribute__((vector_size(64)));
  typedef float f8 __attribute__((vector_size(32)));
  for (size_t cb = 0; cb < n; cb += 16) {
    d8 a0 = {}, a1 = {};
    for (size_t t = 0; t < len; ++t) {
      const float* row = p0 + size_t{f[t]} * n + cb;
      f8 r0, r1;
      std::memcpy(&r0, row, sizeof r0);
      std::memcpy(&r1, row + 8, sizeof r1);
      a0 += __builtin_convertvector(r0, d8);
      a1 += __builtin_convertvector(r1, d8);
    }
    for (size_t j = 0; j < pending; ++j) {
      d8 u0, u1;
      std::memcpy(&u0, u + j * n + cb, sizeof u0);
      std::memcpy(&u1, u + j * n + cb + 8, sizeof u1);
      const double k = coef[j];
      a0 -= u0 * k;
      a1 -= u1 * k;
    }
    std::memcpy(px + cb, &a0, sizeof a0);
    std::memcpy(px + cb + 8, &a1, sizeof a1);
  }
#else
  for (size_t cb = 0; cb < n; cb += 16) {
    double acc[16] = {};
    for (size_t t = 0; t < len; ++t)
      for (size_t c = 0; c < 16; ++c) acc[c] += static_cast<double>(p0[size_t{f[t]} * n + cb + c]);
    for (size_t j = 0; j < pending; ++j)
      for (size_t c = 0; c < 16; ++c) acc[c] -= u[j * n + cb + c] * coef[j];
    for (size_t c = 0; c < 16; ++c) px[cb + c] = acc[c];
  }
#endif
}

// P0 -= sum_j v_j u_j' (v_j = u_j / d_j) on the upper triangle, mirrored, so P0
// stays exactly symmetric. Single precision: the flush is the one O(F^2) step
// per observation and compute-bound, so float doubles its SIMD width and halves
// P0 (296 KB on NB201 in treatment coding: it stays in L2); P only ranks candidates, where ~1e-6
// relative error is immaterial (surrogate_test bounds it against batch ridge).
// Register tiles of R rows x C columns accumulate all m terms before touching
// P0: one pass over the matrix per flush. Every variant computes each element
// the same way, acc = fma(v_j[r], u_j[c], acc) for j = 0..m-1 from acc = 0,
// then P0 - acc, with a correctly rounded single-precision FMA (the
// instruction, or std::fma), so the bits do not depend on the CPU; only the
// tile shape differs. n a multiple of 16.
template <size_t R, size_t C>
inline void store_tile(float* p0, size_t n, size_t rb, size_t cb, const float (&acc)[R][C]) {
  for (size_t i = 0; i < R; ++i) {
    const size_t r = rb + i;
    float* row = p0 + r * n;
    for (size_t c = 0; c < C; ++c) {
      const size_t col = cb + c;
      if (col < r) continue;
      const float x = row[col] - acc[i][c];
      row[col] = x;
      p0[col * n + r] = x;
    }
  }
}

void flush_scalar(float* p0, size_t n, const float* u, const float* v, size_t m) {
  constexpr size_t R = 4, C = 4;
  for (size_t rb = 0; rb < n; rb += R)
    for (size_t cb = rb / C * C; cb < n; cb += C) {
      float acc[R][C] = {};
      for (size_t j = 0; j < m; ++j)
        for (size_t i = 0; i < R; ++i)
          for (size_t c = 0; c < C; ++c) acc[i][c] = std::fma(v[j * n + rb + i], u[j * n + cb + c], acc[i][c]);
      store_tile<R, C>(p0, n, rb, cb, acc);
    }
}

#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx2,fma"))) void flush_avx2(float* p0, size_t n, const float* u, const float* v, size_t m) {
  constexpr size_t R = 8, C = 16;
  for (size_t rb = 0; rb < n; rb += R)
    for (size_t cb = rb / C * C; cb < n; cb += C) {
      __m256 a[R][2];
      for (size_t i = 0; i < R; ++i) a[i][0] = a[i][1] = _mm256_setzero_ps();
      for (size_t j = 0; j < m; ++j) {
        const __m256 u0 = _mm256_loadu_ps(u + j * n + cb), u1 = _mm256_loadu_ps(u + j * n + cb + 8);
        for (size_t i = 0; i < R; ++i) {
          const __m256 b = _mm256_broadcast_ss(v + j * n + rb + i);
          a[i][0] = _mm256_fmadd_ps(b, u0, a[i][0]);
          a[i][1] = _mm256_fmadd_ps(b, u1, a[i][1]);
        }
      }
      float acc[R][C];
      for (size_t i = 0; i < R; ++i) {
        _mm256_storeu_ps(acc[i], a[i][0]);
        _mm256_storeu_ps(acc[i] + 8, a[i][1]);
      }
      store_tile<R, C>(p0, n, rb, cb, acc);
    }
}

// 16 x 16 tiles: one zmm accumulator per row. Off the diagonal every element
// is in the upper triangle: the row segments are stored whole and the mirror
// is written as 16 full 64-byte row segments (a transpose by gathers), not
// 256 scattered stores.
__attribute__((target("avx512f"))) void flush_avx512(float* p0, size_t n, const float* u, const float* v,
                                                    size_t m) {
  constexpr size_t T = 16;
  alignas(64) float x[T][T];
  const __m512i col_of = _mm512_setr_epi32(0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240);
  for (size_t rb = 0; rb < n; rb += T)
    for (size_t cb = rb; cb < n; cb += T) {
      __m512 a[T];
      for (size_t i = 0; i < T; ++i) a[i] = _mm512_setzero_ps();
      for (size_t j = 0; j < m; ++j) {
        const __m512 uc = _mm512_loadu_ps(u + j * n + cb);
        const float* vj = v + j * n + rb;
        for (size_t i = 0; i < T; ++i) a[i] = _mm512_fmadd_ps(_mm512_set1_ps(vj[i]), uc, a[i]);
      }
      if (cb == rb) {
        float acc[T][T];
        for (size_t i = 0; i < T; ++i) _mm512_storeu_ps(acc[i], a[i]);
        store_tile<T, T>(p0, n, rb, cb, acc);
        continue;
      }
      for (size_t i = 0; i < T; ++i) {
        float* row = p0 + (rb + i) * n + cb;
        const __m512 r = _mm512_sub_ps(_mm512_loadu_ps(row), a[i]);
        _mm512_storeu_ps(row, r);
        _mm512_store_ps(x[i], r);
      }
      for (size_t c = 0; c < T; ++c)
        _mm512_storeu_ps(p0 + (cb + c) * n + rb,
                         _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xFFFF,
                                                  _mm512_add_epi32(col_of, _mm512_set1_epi32(static_cast<int>(c))),
                                                  &x[0][0], 4));
    }
}
#endif

int best_flush_isa() {
#if defined(__GNUC__) && defined(__x86_64__)
  static const int isa = __builtin_cpu_supports("avx512f")                                   ? 2
                         : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1
                                                                                             : 0;
  return isa;
#else
  return 0;
#endif
}

void flush_kernel(float* p0, double* w0, size_t n, const double* ud, const float* u, const float* v,
                                const double* g, size_t m) {
  detail::ridge_flush(best_flush_isa(), p0, n, u, v, m);
  for (size_t c = 0; c < n; ++c) {
    double acc = 0;
    for (size_t j = 0; j < m; ++j) acc += ud[j * n + c] * g[j];
    w0[c] += acc;
  }
}

}  // namespace

bool detail::ridge_flush(int isa, float* p0, size_t n, const float* u, const float* v, size_t m) {
  if (isa > best_flush_isa()) return false;
#if defined(__GNUC__) && defined(__x86_64__)
  if (isa == 2) {
    flush_avx512(p0, n, u, v, m);
    return true;
  }
  if (isa == 1) {
    flush_avx2(p0, n, u, v, m);
    return true;
  }
#endif
  flush_scalar(p0, n, u, v, m);
  return true;
}

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
  offset_ = 0;
  n_ = 0;
  sq_err_sum_ = 0;
  log_feats_.clear();
  log_reward_.clear();
}

void RidgeSurrogate::base_terms(const uint32_t* f, size_t len, double& mean, double& var) const {
  mean = sparse_sum(w0_.data(), f, len);
  // x'P0x with P0 exactly symmetric: the diagonal plus twice the upper pairs,
  // the pairs summed as one stream into four chains that run across rows
  // (rows are short: per-row chains would run at add latency).
  double diag = 0, a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (size_t t = 0; t < len; ++t) {
    const float* row = &p0_[size_t{f[t]} * stride_];
    diag += row[f[t]];
    size_t u = t + 1;
    for (; u + 4 <= len; u += 4) {
      a0 += row[f[u]];
      a1 += row[f[u + 1]];
      a2 += row[f[u + 2]];
      a3 += row[f[u + 3]];
    }
    if (u < len) a0 += row[f[u++]];
    if (u < len) a1 += row[f[u++]];
    if (u < len) a2 += row[f[u++]];
  }
  var = diag + 2.0 * ((a0 + a1) + (a2 + a3));
}

void RidgeSurrogate::apply_pending(const uint32_t* f, size_t len, size_t from, double& mean,
                                                 double& var) const {
  for (size_t j = from; j < pending_; ++j) {
    const double s = sparse_sum(&u_[j * stride_], f, len);
    mean += s * gain_[j];
    var -= (s * s) * invd_[j];
  }
}

double RidgeSurrogate::noise() const { return n_ > 0 ? sq_err_sum_ / static_cast<double>(n_) : 1.0; }

double RidgeSurrogate::ucb(double mean, double var, double beta, double nz) const {
  double r = mean + offset_;
  if (beta != 0) r += beta * std::sqrt(std::max(var, 0.0) * nz);
  return r;
}

void RidgeSurrogate::observe(const Architecture& a, double reward) {
  MCTSNAS_CHECK(std::isfinite(reward), "surrogate observes finite rewards only");
  features_->active(a, scratch_);
  log_feats_.push_back(static_cast<uint32_t>(scratch_.size()));
  log_feats_.insert(log_feats_.end(), scratch_.begin(), scratch_.end());
  log_reward_.push_back(reward);
  scratch_.push_back(static_cast<uint32_t>(dim_ - 1));
  update(scratch_.data(), scratch_.size(), reward);
}

void RidgeSurrogate::update(const uint32_t* f, size_t len, double reward) {
  if (n_ == 0) offset_ = reward;
  // Sherman-Morrison: u = P x (x binary, sparse), d = 1 + x'P x.
  double mean = sparse_sum(w0_.data(), f, len);
  for (size_t j = 0; j < pending_; ++j) {
    const double s = sparse_sum(&u_[j * stride_], f, len);
    mean += s * gain_[j];   // the same terms, in the same order, as apply_pending
    s_[j] = s * invd_[j];  // P x = P0 x - sum_j u_j (u_j'x / d_j)
  }
  px_kernel(p0_.data(), stride_, f, len, u_.data(), s_.data(), pending_, px_.data());
  const double xpx = sparse_sum(px_.data(), f, len);
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
  // P0's update in single precision (see flush_kernel); w0's in double.
  std::vector<float> uf(pending_ * stride_), vf(pending_ * stride_);
  for (size_t j = 0; j < pending_; ++j)
    for (size_t c = 0; c < stride_; ++c) {
      uf[j * stride_ + c] = static_cast<float>(u_[j * stride_ + c]);
      vf[j * stride_ + c] = static_cast<float>(u_[j * stride_ + c] * invd_[j]);
    }
  flush_kernel(p0_.data(), w0_.data(), stride_, u_.data(), uf.data(), vf.data(), gain_.data(), pending_);
  pending_ = 0;
}

std::vector<double> RidgeSurrogate::weights() const {
  std::vector<double> w(w0_.begin(), w0_.begin() + static_cast<std::ptrdiff_t>(dim_));
  for (size_t j = 0; j < pending_; ++j)
    for (size_t c = 0; c < dim_; ++c) w[c] += u_[j * stride_ + c] * gain_[j];
  return w;
}

void RidgeSurrogate::fresh_terms(std::span<const Choice> a, double& mean, double& var) const {
  features_->active(a, scratch_);
  scratch_.push_back(static_cast<uint32_t>(dim_ - 1));
  base_terms(scratch_.data(), scratch_.size(), mean, var);
  apply_pending(scratch_.data(), scratch_.size(), 0, mean, var);
}

double RidgeSurrogate::predict(const Architecture& a) const {
  double mean, var;
  fresh_terms(a.choices, mean, var);
  return ucb(mean, var, 0.0, 1.0);
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
    out[i] = ucb(mean, var, beta, noise());
  }
}

void RidgeSurrogate::predict_ucb_memo(std::span<const Choice* const> archs, std::span<const uint32_t> idx,
                                      size_t decisions, double beta, ScoreMemos& memos, double* out) const {
  const uint64_t now = static_cast<uint64_t>(n_);
  const uint64_t epoch = now - pending_;  // observations folded into P0, w0
  const double nz = noise();
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
      base_terms(f, len, e.mean, e.var);
      apply_pending(f, len, 0, e.mean, e.var);
    } else {
      apply_pending(f, len, static_cast<size_t>(e.version - epoch), e.mean, e.var);
    }
    e.version = now;
    out[i] = ucb(e.mean, e.var, beta, nz);
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

std::unique_ptr<Surrogate> make_surrogate(const std::string& name, const SearchSpace& space) {
  if (name == "none") return nullptr;
  if (name == "ridge")
    return std::make_unique<RidgeSurrogate>(std::make_unique<DecisionPairFeatures>(
        space, 2048, DecisionPairFeatures::kMaxFeatures, DecisionPairFeatures::Overflow::drop_pairs,
        DecisionPairFeatures::Coding::treatment));
  throw Error("search.mcts.surrogate: unknown surrogate '" + name + "' (expected ridge or none)");
}

}  // namespace mctsnas
