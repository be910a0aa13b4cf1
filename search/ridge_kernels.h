#pragma once
// The ridge surrogate's arithmetic (search/ridge_surrogate.h): every floating-point
// step of its update and of its scores, so that the search gives the same bits on
// every CPU it runs or resumes on. ridge_kernels.cpp is built with -ffp-contract=off
// (search/CMakeLists.txt): no multiply-add is fused into an FMA unless a kernel asks
// for one, whatever the CPU or -march; the SIMD clones and variants compute every
// element with the same operations in the same order as the scalar code.
//
// Feature vectors are sparse count vectors given as a list f of `len` active
// indices (repeats count, see FeatureMap), the intercept included. Matrices are
// row-major with `stride` (the feature count plus the intercept, rounded up to 16)
// columns, zero padded.
#include <cstddef>
#include <cstdint>

namespace mctsnas::ridge {

// sum_t v[f[t]] in a fixed order: four interleaved chains (so it runs at load
// throughput, not add latency), then (c0 + c1) + (c2 + c3). Additions only, so
// it may be inlined anywhere.
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

// The rank-one terms not yet folded into P0 and w0 (RidgeSurrogate's P = P0 -
// sum_j u_j u_j' / d_j, w = w0 + sum_j u_j g_j): u is `count` rows of `stride`.
struct PendingTerms {
  const double* u;
  const double* gain;  // g_j
  const double* invd;  // 1 / d_j
  size_t stride, count;
};

// mean = w0'x and var = x'P0 x (P0 exactly symmetric: the diagonal plus twice
// the upper pairs).
void base_terms(const float* p0, const double* w0, size_t stride, const uint32_t* f, size_t len, double& mean,
                double& var);
// Terms j in [from, t.count) added to (mean, var): mean += (u_j'x) g_j,
// var -= (u_j'x)^2 / d_j, in order.
void apply_pending(const PendingTerms& t, const uint32_t* f, size_t len, size_t from, double& mean, double& var);
// An observation's start: returns w'x (w0, then every pending term in the order
// apply_pending uses) and sets coef[j] = (u_j'x) / d_j.
double pending_mean(const double* w0, const PendingTerms& t, const uint32_t* f, size_t len, double* coef);
// px = P0 x - sum_j u_j coef[j] over all `stride` columns (stride a multiple of 16).
void p_times_x(const float* p0, size_t stride, const uint32_t* f, size_t len, const PendingTerms& t,
               const double* coef, double* px);
// The score the tree ranks by: offset + mean, plus beta * sqrt(max(var, 0) * noise)
// when beta != 0.
double ucb(double offset, double mean, double var, double beta, double noise);
// px -= sum_j u_j (u_j'x / d_j) for the terms of t in order, over all `stride`
// columns: P x for a P with more rank-one terms (the batch fantasies); gains unused.
void subtract_terms(const PendingTerms& t, const uint32_t* f, size_t len, double* px);
// var -= (u_j'x)^2 / d_j for the terms of t in order (apply_pending without the mean).
void shrink_var(const PendingTerms& t, const uint32_t* f, size_t len, double& var);
// w = w0 + sum_j u_j g_j over the first n entries.
void weights(const double* w0, const PendingTerms& t, size_t n, double* w);
// Folds the pending terms into P0 (single precision: v_j = u_j / d_j, P0 -= sum_j
// v_j u_j', upper triangle mirrored so P0 stays exactly symmetric) and w0
// (double: w0 += sum_j u_j g_j), on the best instruction set this CPU has.
void flush(float* p0, double* w0, const PendingTerms& t);
// The P0 part of flush (u, v: m rows of n floats, n a multiple of 16) on one
// instruction set: 0 scalar, 1 AVX2, 2 AVX-512. False (nothing done) where this
// CPU lacks it; every variant gives the same bits (ridge_kernels_test).
bool flush_p0(int isa, float* p0, size_t n, const float* u, const float* v, size_t m);

}  // namespace mctsnas::ridge
