#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "common/error.h"
#include "common/rng.h"
#include "search/surrogate.h"
#include "search_test_util.h"
#include "space/nb201_space.h"

using namespace mctsnas;
using namespace mctsnas::testing;

namespace {

// Dense solve of A w = b (A symmetric positive definite) by Gaussian elimination.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t r = i + 1; r < n; ++r) {
      double f = a[r][i] / a[i][i];
      for (size_t c = i; c < n; ++c) a[r][c] -= f * a[i][c];
      b[r] -= f * b[i];
    }
  }
  std::vector<double> w(n);
  for (size_t i = n; i-- > 0;) {
    double s = b[i];
    for (size_t c = i + 1; c < n; ++c) s -= a[i][c] * w[c];
    w[i] = s / a[i][i];
  }
  return w;
}

}  // namespace

TEST_CASE("pair features: one-hot per decision plus per pair", "[surrogate]") {
  TinySpace space({3, 3, 2});
  DecisionPairFeatures f(space);
  CHECK(f.all_pairs());
  CHECK(f.size() == 8 + 9 + 6 + 6);
  std::vector<uint32_t> act;
  f.active(Architecture{{2, 1, 0}}, act);
  CHECK(act == std::vector<uint32_t>{2, 4, 6, 8 + 7, 17 + 4, 23 + 2});
  DecisionPairFeatures few(space, 20);  // too many for all pairs: consecutive only
  CHECK_FALSE(few.all_pairs());
  CHECK(few.size() == 8 + 9 + 6);
}

TEST_CASE("recursive least squares equals the batch ridge solution", "[surrogate]") {
  TinySpace space({3, 3, 2});
  const double lambda = 0.5;
  RidgeSurrogate s(std::make_unique<DecisionPairFeatures>(space), lambda);
  DecisionPairFeatures f(space);
  const size_t d = f.size() + 1;
  Rng rng(3);
  std::vector<std::vector<double>> xtx(d, std::vector<double>(d, 0.0));
  std::vector<double> xty(d, 0.0);
  double y0 = 0;
  std::vector<uint32_t> act;
  // 100 observations: across several flushes of the pending rank-one terms.
  static_assert(RidgeSurrogate::kFlushEvery < 100);
  for (int n = 0; n < 100; ++n) {
    Architecture a = space.random(rng);
    double y = fake_reward(a) + rng.normal();
    if (n == 0) y0 = y;
    s.observe(a, y);
    f.active(a, act);
    act.push_back(static_cast<uint32_t>(d - 1));
    for (uint32_t i : act) {
      xty[i] += y - y0;
      for (uint32_t j : act) xtx[i][j] += 1;
    }
  }
  for (size_t i = 0; i + 1 < d; ++i) xtx[i][i] += lambda;
  xtx[d - 1][d - 1] += 1e-4;  // the intercept's weak prior
  auto w = solve(xtx, xty);
  for (Choice a = 0; a < 3; ++a)
    for (Choice b = 0; b < 3; ++b)
      for (Choice c = 0; c < 2; ++c) {
        Architecture x{{a, b, c}};
        f.active(x, act);
        double pred = y0 + w[d - 1];
        for (uint32_t i : act) pred += w[i];
        CHECK(s.predict(x) == Approx(pred).epsilon(1e-9).margin(1e-7));
      }
  CHECK(s.num_observations() == 100);
  const auto sw = s.weights();
  for (size_t i = 0; i < d; ++i) CHECK(sw[i] == Approx(w[i]).epsilon(1e-9).margin(1e-7));
}

TEST_CASE("uncertainty shrinks where the model has data", "[surrogate]") {
  Nb201Space space;
  RidgeSurrogate s(std::make_unique<DecisionPairFeatures>(space), 1.0);
  Architecture seen{{3, 3, 3, 3, 3, 3}}, unseen{{0, 1, 2, 4, 0, 1}};
  Rng rng(1);
  for (int i = 0; i < 30; ++i) {
    Architecture a = space.random(rng);
    s.observe(a, fake_reward(a));
  }
  const double before = s.uncertainty(seen);
  for (int i = 0; i < 5; ++i) s.observe(seen, fake_reward(seen));
  CHECK(s.uncertainty(seen) < before);
  CHECK(s.uncertainty(seen) < s.uncertainty(unseen));
}

TEST_CASE("surrogate save/load restores identical predictions", "[surrogate]") {
  Nb201Space space;
  RidgeSurrogate a(std::make_unique<DecisionPairFeatures>(space), 1.0);
  Rng rng(7);
  for (int i = 0; i < 20; ++i) {
    Architecture x = space.random(rng);
    a.observe(x, fake_reward(x));
  }
  ByteWriter w;
  a.save(w);
  RidgeSurrogate b(std::make_unique<DecisionPairFeatures>(space), 1.0);
  ByteReader r(w.bytes(), "surrogate");
  b.load(r);
  for (int i = 0; i < 20; ++i) {
    Architecture x = space.random(rng);
    CHECK(a.predict(x) == b.predict(x));
    CHECK(a.uncertainty(x) == b.uncertainty(x));
  }
  CHECK_THROWS(make_surrogate("gp", space));
  CHECK(make_surrogate("none", space) == nullptr);
}

TEST_CASE("memoized scores equal fresh ones bit for bit, across flushes", "[surrogate]") {
  // The tree caches scores in memos updated incrementally; a ranking must never
  // depend on whether a memo was warm, stale across a flush, or empty.
  Nb201Space space;
  RidgeSurrogate s(std::make_unique<DecisionPairFeatures>(space), 1.0);
  Rng rng(11);
  std::vector<Architecture> cands;
  for (int i = 0; i < 40; ++i) cands.push_back(space.random(rng));
  std::vector<const Choice*> ptrs;
  std::vector<uint32_t> idx;
  for (uint32_t i = 0; i < cands.size(); ++i) {
    ptrs.push_back(cands[i].choices.data());
    idx.push_back(i);
  }
  ScoreMemos memos;
  memos.reset(cands.size());
  const size_t d = static_cast<size_t>(space.num_decisions());
  std::vector<double> fresh(cands.size()), memo(cands.size());
  int checked = 0;
  for (int n = 0; n < 3 * static_cast<int>(RidgeSurrogate::kFlushEvery) + 5; ++n) {
    Architecture a = space.random(rng);
    s.observe(a, fake_reward(a) + rng.normal());
    // Score a varying subset each time, so memos are 1..many observations stale.
    std::vector<const Choice*> sub_ptrs;
    std::vector<uint32_t> sub_idx;
    for (uint32_t i = 0; i < cands.size(); ++i)
      if ((i + static_cast<uint32_t>(n)) % (1 + i % 7) == 0) {
        sub_ptrs.push_back(ptrs[i]);
        sub_idx.push_back(i);
      }
    s.predict_ucb_memo(sub_ptrs, sub_idx, d, 4.0, memos, memo.data());
    s.predict_ucb(sub_ptrs, d, 4.0, fresh.data());
    for (size_t i = 0; i < sub_idx.size(); ++i) {
      CHECK(memo[i] == fresh[i]);
      CHECK(fresh[i] == s.predict(cands[sub_idx[i]]) + 4.0 * s.uncertainty(cands[sub_idx[i]]));
      ++checked;
    }
  }
  CHECK(checked > 500);
}

TEST_CASE("surrogate save/load with pending updates continues identically", "[surrogate]") {
  Nb201Space space;
  RidgeSurrogate a(std::make_unique<DecisionPairFeatures>(space), 1.0);
  Rng rng(5);
  const int first = static_cast<int>(RidgeSurrogate::kFlushEvery) + 7;  // 7 pending terms at save
  for (int i = 0; i < first; ++i) {
    Architecture x = space.random(rng);
    a.observe(x, fake_reward(x));
  }
  ByteWriter w;
  a.save(w);
  RidgeSurrogate b(std::make_unique<DecisionPairFeatures>(space), 1.0);
  ByteReader r(w.bytes(), "surrogate");
  b.load(r);
  for (int i = 0; i < 2 * static_cast<int>(RidgeSurrogate::kFlushEvery); ++i) {
    Architecture x = space.random(rng);
    a.observe(x, fake_reward(x));
    b.observe(x, fake_reward(x));
    Architecture y = space.random(rng);
    CHECK(a.predict(y) == b.predict(y));
    CHECK(a.uncertainty(y) == b.uncertainty(y));
  }
  SECTION("a state with an out-of-range pending count is an error") {
    ByteWriter bad;
    a.save(bad);
    std::string bytes = bad.bytes();
    // dim, offset, n, sq_err_sum, then w0 and P0 (each a u64 length + doubles), then pending.
    const size_t stride = 416;
    const size_t at = 8 * 4 + 8 + 8 * stride + 8 + 8 * stride * stride;
    REQUIRE(bytes.size() > at + 8);
    const uint64_t huge = 1000;
    bytes.replace(at, 8, reinterpret_cast<const char*>(&huge), 8);
    RidgeSurrogate c(std::make_unique<DecisionPairFeatures>(space), 1.0);
    ByteReader rr(bytes, "tree.ckpt");
    CHECK_THROWS_AS(c.load(rr), Error);
  }
}
