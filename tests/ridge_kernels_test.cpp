#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "common/rng.h"
#include "search/ridge_kernels.h"

using namespace mctsnas;

namespace {

// A small ridge state with random entries: P0 symmetric (float), w0, and m
// pending terms, stride n (a multiple of 16), n - 3 used columns.
struct State {
  explicit State(size_t m, uint64_t seed) : p0(n * n, 0.0f), w0(n, 0.0), u(m * n, 0.0), gain(m), invd(m) {
    Rng rng(seed);
    for (size_t r = 0; r < used; ++r)
      for (size_t c = r; c < used; ++c) p0[r * n + c] = p0[c * n + r] = static_cast<float>(rng.normal());
    for (size_t c = 0; c < used; ++c) w0[c] = rng.normal();
    for (size_t j = 0; j < m; ++j) {
      for (size_t c = 0; c < used; ++c) u[j * n + c] = rng.normal();
      gain[j] = rng.normal();
      invd[j] = 1.0 / (1.0 + rng.uniform());
    }
  }
  ridge::PendingTerms terms(size_t count) const { return {u.data(), gain.data(), invd.data(), n, count}; }
  static constexpr size_t n = 32, used = 29;
  std::vector<float> p0;
  std::vector<double> w0, u, gain, invd;
};

// Active features with a repeat (a count of 2) and the intercept last.
const std::vector<uint32_t> kActive = {3, 7, 7, 11, 20, 28};

std::vector<double> dense(const std::vector<uint32_t>& f, size_t n) {
  std::vector<double> x(n, 0.0);
  for (uint32_t k : f) x[k] += 1;
  return x;
}

}  // namespace

TEST_CASE("base terms: w0'x and x'P0x of a count vector", "[ridge_kernels]") {
  State s(0, 1);
  const auto x = dense(kActive, State::n);
  double mean_ref = 0, var_ref = 0;
  for (size_t r = 0; r < State::n; ++r) {
    mean_ref += s.w0[r] * x[r];
    for (size_t c = 0; c < State::n; ++c) var_ref += x[r] * static_cast<double>(s.p0[r * State::n + c]) * x[c];
  }
  double mean, var;
  ridge::base_terms(s.p0.data(), s.w0.data(), State::n, kActive.data(), kActive.size(), mean, var);
  CHECK(mean == Approx(mean_ref).epsilon(1e-12));
  CHECK(var == Approx(var_ref).epsilon(1e-12));
  CHECK(ridge::sparse_sum(s.w0.data(), kActive.data(), kActive.size()) == mean);
}

TEST_CASE("pending terms: resumed from any term, the same bits as all at once", "[ridge_kernels]") {
  // What lets a memoized score continue after new observations (ScoreMemos).
  const size_t m = 9;
  State s(m, 2);
  double mean0, var0;
  ridge::base_terms(s.p0.data(), s.w0.data(), State::n, kActive.data(), kActive.size(), mean0, var0);
  double mean_all = mean0, var_all = var0;
  ridge::apply_pending(s.terms(m), kActive.data(), kActive.size(), 0, mean_all, var_all);
  for (size_t k = 0; k <= m; ++k) {
    double mean = mean0, var = var0;
    ridge::apply_pending(s.terms(k), kActive.data(), kActive.size(), 0, mean, var);
    ridge::apply_pending(s.terms(m), kActive.data(), kActive.size(), k, mean, var);
    INFO("resumed at " << k);
    CHECK(mean == mean_all);
    CHECK(var == var_all);
  }
  std::vector<double> coef(m);
  CHECK(ridge::pending_mean(s.w0.data(), s.terms(m), kActive.data(), kActive.size(), coef.data()) == mean_all);
  const auto x = dense(kActive, State::n);
  for (size_t j = 0; j < m; ++j) {
    double ux = 0;
    for (size_t c = 0; c < State::n; ++c) ux += s.u[j * State::n + c] * x[c];
    CHECK(coef[j] == Approx(ux * s.invd[j]).epsilon(1e-12));
  }
}

TEST_CASE("P x: P0 x minus the pending terms, every column", "[ridge_kernels]") {
  const size_t m = 5;
  State s(m, 3);
  const std::vector<double> coef = {0.5, -1.0, 2.0, 0.25, -0.75};
  std::vector<double> px(State::n, -1.0);
  ridge::p_times_x(s.p0.data(), State::n, kActive.data(), kActive.size(), s.terms(m), coef.data(), px.data());
  const auto x = dense(kActive, State::n);
  for (size_t c = 0; c < State::n; ++c) {
    double ref = 0;
    for (size_t r = 0; r < State::n; ++r) ref += static_cast<double>(s.p0[r * State::n + c]) * x[r];
    for (size_t j = 0; j < m; ++j) ref -= s.u[j * State::n + c] * coef[j];
    INFO("column " << c);
    CHECK(px[c] == Approx(ref).epsilon(1e-12).margin(1e-12));
  }
}

TEST_CASE("flush folds the pending terms into P0 and w0", "[ridge_kernels]") {
  const size_t m = 7;
  State s(m, 4);
  // P0 symmetric positive: the terms' sizes do not matter for the identity.
  double mean_before, var_before;
  ridge::base_terms(s.p0.data(), s.w0.data(), State::n, kActive.data(), kActive.size(), mean_before, var_before);
  ridge::apply_pending(s.terms(m), kActive.data(), kActive.size(), 0, mean_before, var_before);
  std::vector<double> w_before(State::n);
  ridge::weights(s.w0.data(), s.terms(m), State::n, w_before.data());
  ridge::flush(s.p0.data(), s.w0.data(), s.terms(m));
  for (size_t r = 0; r < State::n; ++r)
    for (size_t c = 0; c < State::n; ++c) REQUIRE(s.p0[r * State::n + c] == s.p0[c * State::n + r]);
  for (size_t c = 0; c < State::n; ++c) CHECK(s.w0[c] == Approx(w_before[c]).epsilon(1e-12).margin(1e-12));
  double mean, var;
  ridge::base_terms(s.p0.data(), s.w0.data(), State::n, kActive.data(), kActive.size(), mean, var);
  CHECK(mean == Approx(mean_before).epsilon(1e-12));
  CHECK(var == Approx(var_before).epsilon(1e-5).margin(1e-4));  // P0 is single precision
}

TEST_CASE("ucb: offset plus mean, plus beta standard deviations", "[ridge_kernels]") {
  CHECK(ridge::ucb(10.0, 1.5, 4.0, 0.0, 9.0) == 11.5);
  CHECK(ridge::ucb(10.0, 1.5, 4.0, 2.0, 9.0) == 11.5 + 2.0 * 6.0);
  CHECK(ridge::ucb(10.0, 1.5, -1e-9, 2.0, 9.0) == 11.5);  // rounding below 0 counts as 0
}

TEST_CASE("the flush gives the same bits on every instruction set", "[ridge_kernels]") {
  // The search must not depend on the CPU a run (or its resume) lands on.
  const size_t n = 48, m = 32;
  Rng rng(17);
  std::vector<float> p0(n * n), u(m * n), v(m * n);
  for (size_t r = 0; r < n; ++r)
    for (size_t c = r; c < n; ++c) p0[r * n + c] = p0[c * n + r] = static_cast<float>(rng.normal());
  for (size_t i = 0; i < m * n; ++i) {
    u[i] = static_cast<float>(rng.normal());
    v[i] = static_cast<float>(rng.normal() * 0.1);
  }
  auto scalar = p0;
  REQUIRE(ridge::flush_p0(0, scalar.data(), n, u.data(), v.data(), m));
  CHECK(scalar != p0);
  for (size_t r = 0; r < n; ++r)
    for (size_t c = 0; c < n; ++c) REQUIRE(scalar[r * n + c] == scalar[c * n + r]);
  int ran = 0;
  for (int isa : {1, 2}) {
    auto out = p0;
    if (!ridge::flush_p0(isa, out.data(), n, u.data(), v.data(), m)) continue;
    ++ran;
    INFO("isa " << isa);
    CHECK(std::memcmp(out.data(), scalar.data(), out.size() * sizeof(float)) == 0);
  }
  if (ran < 2) WARN("this CPU runs " << ran << " of the 2 SIMD flush variants; the others were not compared");
}
