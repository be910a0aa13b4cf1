// The ridge's arithmetic; see ridge_kernels.h. This file is built with
// -ffp-contract=off and -fno-math-errno (search/CMakeLists.txt): GCC fuses a
// multiply and an add into an FMA by default where the target has FMA, and the
// bits (so the search) would then depend on the CPU the binary runs on.
#include "search/ridge_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

namespace mctsnas::ridge {
namespace {

// The hot kernels get AVX-512 / AVX2 clones (same operations, same order per
// element, so the same bits) picked at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define MCTSNAS_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MCTSNAS_KERNEL
#endif

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
// P0 (on NB201 it then stays in L2); P only ranks candidates, where ~1e-6
// relative error is immaterial (ridge_surrogate_test bounds it against batch ridge).
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

}  // namespace

void base_terms(const float* p0, const double* w0, size_t stride, const uint32_t* f, size_t len, double& mean,
                double& var) {
  mean = sparse_sum(w0, f, len);
  // The upper pairs are summed as one stream into four chains that run across
  // rows (rows are short: per-row chains would run at add latency).
  double diag = 0, a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (size_t t = 0; t < len; ++t) {
    const float* row = &p0[size_t{f[t]} * stride];
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

void apply_pending(const PendingTerms& t, const uint32_t* f, size_t len, size_t from, double& mean, double& var) {
  for (size_t j = from; j < t.count; ++j) {
    const double s = sparse_sum(t.u + j * t.stride, f, len);
    mean += s * t.gain[j];
    var -= (s * s) * t.invd[j];
  }
}

double pending_mean(const double* w0, const PendingTerms& t, const uint32_t* f, size_t len, double* coef) {
  double mean = sparse_sum(w0, f, len);
  for (size_t j = 0; j < t.count; ++j) {
    const double s = sparse_sum(t.u + j * t.stride, f, len);
    mean += s * t.gain[j];  // the same terms, in the same order, as apply_pending
    coef[j] = s * t.invd[j];
  }
  return mean;
}

void p_times_x(const float* p0, size_t stride, const uint32_t* f, size_t len, const PendingTerms& t,
               const double* coef, double* px) {
  px_kernel(p0, stride, f, len, t.u, coef, t.count, px);
}

void subtract_terms(const PendingTerms& t, const uint32_t* f, size_t len, double* px) {
  for (size_t j = 0; j < t.count; ++j) {
    const double* u = t.u + j * t.stride;
    const double c = sparse_sum(u, f, len) * t.invd[j];
    for (size_t col = 0; col < t.stride; ++col) px[col] -= u[col] * c;
  }
}

void shrink_var(const PendingTerms& t, const uint32_t* f, size_t len, double& var) {
  for (size_t j = 0; j < t.count; ++j) {
    const double s = sparse_sum(t.u + j * t.stride, f, len);
    var -= (s * s) * t.invd[j];
  }
}

double ucb(double offset, double mean, double var, double beta, double noise) {
  double r = mean + offset;
  if (beta != 0) r += beta * std::sqrt(std::max(var, 0.0) * noise);
  return r;
}

void weights(const double* w0, const PendingTerms& t, size_t n, double* w) {
  std::copy(w0, w0 + n, w);
  for (size_t j = 0; j < t.count; ++j)
    for (size_t c = 0; c < n; ++c) w[c] += t.u[j * t.stride + c] * t.gain[j];
}

void flush(float* p0, double* w0, const PendingTerms& t) {
  const size_t n = t.stride, m = t.count;
  std::vector<float> uf(m * n), vf(m * n);
  for (size_t j = 0; j < m; ++j)
    for (size_t c = 0; c < n; ++c) {
      uf[j * n + c] = static_cast<float>(t.u[j * n + c]);
      vf[j * n + c] = static_cast<float>(t.u[j * n + c] * t.invd[j]);
    }
  flush_p0(best_flush_isa(), p0, n, uf.data(), vf.data(), m);
  for (size_t c = 0; c < n; ++c) {
    double acc = 0;
    for (size_t j = 0; j < m; ++j) acc += t.u[j * n + c] * t.gain[j];
    w0[c] += acc;
  }
}

bool flush_p0(int isa, float* p0, size_t n, const float* u, const float* v, size_t m) {
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

}  // namespace mctsnas::ridge
