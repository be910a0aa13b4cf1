#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "common/rng.h"
#include "search/ridge_surrogate.h"
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

// The batch ridge the recursive one must equal: normal equations over the
// active-feature lists (repeats count) plus the intercept, rewards relative to
// the first, prior precision lambda per feature and 1e-2 for the intercept.
struct BatchRidge {
  explicit BatchRidge(size_t features) : d(features + 1), xtx(d, std::vector<double>(d, 0.0)), xty(d, 0.0) {}
  void add(std::vector<uint32_t> act, double y) {
    if (n++ == 0) y0 = y;
    act.push_back(static_cast<uint32_t>(d - 1));
    for (uint32_t i : act) {
      xty[i] += y - y0;
      for (uint32_t j : act) xtx[i][j] += 1;
    }
  }
  // Fixes the penalties and solves; then predict() and xpx() apply.
  void fit(double lambda) {
    for (size_t i = 0; i + 1 < d; ++i) xtx[i][i] += lambda;
    xtx[d - 1][d - 1] += 1e-2;
    w = solve(xtx, xty);
  }
  double predict(const std::vector<uint32_t>& act) const {
    double pred = y0 + w[d - 1];
    for (uint32_t i : act) pred += w[i];
    return pred;
  }
  double xpx(const std::vector<uint32_t>& act) const {  // x'Px, x the count vector
    std::vector<double> x(d, 0.0);
    for (uint32_t k : act) x[k] += 1;
    x[d - 1] = 1;
    const auto px = solve(xtx, x);
    double r = 0;
    for (size_t k = 0; k < d; ++k) r += x[k] * px[k];
    return r;
  }
  size_t d;
  std::vector<std::vector<double>> xtx;
  std::vector<double> xty, w;
  double y0 = 0;
  int n = 0;
};

// n observations of random architectures with fake rewards.
void observe_random(RidgeSurrogate& s, const SearchSpace& space, Rng& rng, int n) {
  for (int i = 0; i < n; ++i) {
    Architecture x = space.random(rng);
    s.observe(x, fake_reward(x));
  }
}

// A fresh ridge surrogate (default features, lambda 1) loaded from a.save().
std::unique_ptr<RidgeSurrogate> reloaded(const RidgeSurrogate& a, const SearchSpace& space) {
  ByteWriter w;
  a.save(w);
  auto b = std::make_unique<RidgeSurrogate>(std::make_unique<DecisionPairFeatures>(space), 1.0);
  ByteReader r(w.bytes(), "surrogate");
  b->load(r);
  return b;
}

}  // namespace

TEST_CASE("recursive least squares equals the batch ridge solution", "[ridge]") {
  TinySpace space({3, 3, 2});
  const double lambda = 0.5;
  RidgeSurrogate s(std::make_unique<DecisionPairFeatures>(space), lambda);
  DecisionPairFeatures f(space);
  BatchRidge batch(f.size());
  Rng rng(3);
  std::vector<uint32_t> act;
  // 100 observations: across several flushes of the pending rank-one terms.
  static_assert(RidgeSurrogate::kFlushEvery < 100);
  for (int n = 0; n < 100; ++n) {
    Architecture a = space.random(rng);
    double y = fake_reward(a) + rng.normal();
    s.observe(a, y);
    f.active(a, act);
    batch.add(act, y);
  }
  batch.fit(lambda);
  for (Choice a = 0; a < 3; ++a)
    for (Choice b = 0; b < 3; ++b)
      for (Choice c = 0; c < 2; ++c) {
        Architecture x{{a, b, c}};
        f.active(x, act);
        CHECK(s.predict(x) == Approx(batch.predict(act)).epsilon(1e-6));
      }
  CHECK(s.num_observations() == 100);
  const auto sw = s.weights();
  for (size_t i = 0; i < batch.d; ++i) CHECK(sw[i] == Approx(batch.w[i]).epsilon(1e-4).margin(1e-5));
}

TEST_CASE("uncertainty shrinks where the model has data", "[ridge]") {
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

TEST_CASE("surrogate save/load restores identical predictions", "[ridge]") {
  Nb201Space space;
  RidgeSurrogate a(std::make_unique<DecisionPairFeatures>(space), 1.0);
  Rng rng(7);
  observe_random(a, space, rng, 20);
  auto b = reloaded(a, space);
  for (int i = 0; i < 20; ++i) {
    Architecture x = space.random(rng);
    CHECK(a.predict(x) == b->predict(x));
    CHECK(a.uncertainty(x) == b->uncertainty(x));
  }
}

TEST_CASE("memoized scores equal fresh ones bit for bit, across flushes", "[ridge]") {
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

TEST_CASE("surrogate save/load with pending updates continues identically", "[ridge]") {
  Nb201Space space;
  RidgeSurrogate a(std::make_unique<DecisionPairFeatures>(space), 1.0);
  Rng rng(5);
  observe_random(a, space, rng, static_cast<int>(RidgeSurrogate::kFlushEvery) + 7);  // 7 pending terms at save
  auto b = reloaded(a, space);
  for (int i = 0; i < 2 * static_cast<int>(RidgeSurrogate::kFlushEvery); ++i) {
    Architecture x = space.random(rng);
    a.observe(x, fake_reward(x));
    b->observe(x, fake_reward(x));
    Architecture y = space.random(rng);
    CHECK(a.predict(y) == b->predict(y));
    CHECK(a.uncertainty(y) == b->uncertainty(y));
  }
  SECTION("a corrupted observation log is an error, and the state is kept") {
    ByteWriter good;
    a.save(good);
    // dim (u64), n (i64), then the feature log: u64 length, then per observation
    // its feature count and features (u32 each).
    const size_t log_at = 8 + 8 + 8;
    auto corrupt = [&](size_t at, uint32_t v) {
      std::string bytes = good.bytes();
      REQUIRE(bytes.size() > at + 4);
      bytes.replace(at, 4, reinterpret_cast<const char*>(&v), 4);
      RidgeSurrogate c(std::make_unique<DecisionPairFeatures>(space), 1.0);
      ByteReader rr(bytes, "tree.ckpt");
      CHECK_THROWS_AS(c.load(rr), Error);
      CHECK(c.num_observations() == 0);
    };
    corrupt(log_at + 4, 100000);      // a feature index out of range
    corrupt(log_at, 1u << 30);        // a feature count past the log
    std::string bytes = good.bytes();
    const int64_t n = -3;
    bytes.replace(8, 8, reinterpret_cast<const char*>(&n), 8);
    RidgeSurrogate c(std::make_unique<DecisionPairFeatures>(space), 1.0);
    ByteReader rr(bytes, "tree.ckpt");
    CHECK_THROWS_AS(c.load(rr), Error);
  }
}

TEST_CASE("hashed features that collide count twice, and the ridge stays exact", "[ridge]") {
  // A tiny bound forces collisions inside one architecture's feature list: the
  // feature's value is then 2, and RLS (x'Px, Px, w'x, the memos, the flush)
  // must still equal batch ridge on those count vectors.
  TinySpace space({5, 5, 5, 5});
  const auto mode = GENERATE(DecisionPairFeatures::Overflow::hash_pairs, DecisionPairFeatures::Overflow::drop_pairs);
  // drop_pairs with 12 < 20 one-hots: one-hots hashed, no pairs.
  auto make = [&] { return std::make_unique<DecisionPairFeatures>(space, 2048, 12, mode); };
  DecisionPairFeatures f = *make();
  REQUIRE(f.hashed());
  REQUIRE(f.size() == 12);
  INFO("hash_pairs " << (mode == DecisionPairFeatures::Overflow::hash_pairs));
  const double lambda = 0.7;
  RidgeSurrogate s(make(), lambda);
  BatchRidge batch(f.size());
  Rng rng(9);
  std::vector<uint32_t> act;
  int with_repeats = 0;
  for (int n = 0; n < 3 * static_cast<int>(RidgeSurrogate::kFlushEvery) + 9; ++n) {
    Architecture a = space.random(rng);
    double y = fake_reward(a) + rng.normal();
    s.observe(a, y);
    f.active(a, act);
    auto sorted = act;
    std::sort(sorted.begin(), sorted.end());
    with_repeats += std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
    batch.add(act, y);  // repeats add up: x_i = count
  }
  CHECK(with_repeats > 10);
  batch.fit(lambda);
  std::vector<Architecture> cands;
  for (int i = 0; i < 50; ++i) cands.push_back(space.random(rng));
  std::vector<const Choice*> ptrs;
  std::vector<uint32_t> idx;
  std::vector<double> xpx_batch, var_rls;
  for (uint32_t i = 0; i < cands.size(); ++i) {
    ptrs.push_back(cands[i].choices.data());
    idx.push_back(i);
    f.active(cands[i], act);
    CHECK(s.predict(cands[i]) == Approx(batch.predict(act)).epsilon(1e-6));
    // uncertainty = sqrt(x'Px * noise), the noise estimate common to all.
    xpx_batch.push_back(batch.xpx(act));
    var_rls.push_back(std::pow(s.uncertainty(cands[i]), 2));
  }
  for (size_t i = 1; i < cands.size(); ++i)
    CHECK(var_rls[i] / var_rls[0] == Approx(xpx_batch[i] / xpx_batch[0]).epsilon(1e-4));
  ScoreMemos memos;
  memos.reset(cands.size());
  std::vector<double> fresh(cands.size()), memo(cands.size());
  for (int round = 0; round < 2; ++round) {
    s.predict_ucb_memo(ptrs, idx, 4, 3.0, memos, memo.data());
    s.predict_ucb(ptrs, 4, 3.0, fresh.data());
    for (size_t i = 0; i < cands.size(); ++i) CHECK(memo[i] == fresh[i]);
    Architecture a = space.random(rng);
    s.observe(a, fake_reward(a));
  }
}

TEST_CASE("a ridge on a hashed layout stays within the feature bound", "[ridge]") {
  // 100 x 100 one-hots hashed into the bound: (bound + 1)^2 doubles, not 10^12.
  TinySpace space(std::vector<int>(100, 100));
  Rng rng(2);
  RidgeSurrogate s(std::make_unique<DecisionPairFeatures>(space), 1.0);
  Architecture x = space.random(rng);
  s.observe(x, 1.0);
  s.observe(space.random(rng), 2.0);
  CHECK(std::isfinite(s.predict(x)));
  CHECK(s.weights().size() == DecisionPairFeatures::kMaxFeatures + 1);
}

TEST_CASE("treatment coding: the one-hot ridge model in fewer features", "[ridge]") {
  using Coding = DecisionPairFeatures::Coding;
  using Overflow = DecisionPairFeatures::Overflow;
  Nb201Space nb201;
  // Predictions and uncertainties equal the one-hot model's, on spaces with
  // decisions of different widths (one with a single choice), all pairs or
  // consecutive pairs only, across several flushes.
  TinySpace tiny({3, 1, 4, 2, 5});
  struct Case {
    const SearchSpace* space;
    size_t all_pairs_max;
  };
  for (const Case& c : {Case{&nb201, 2048}, Case{&tiny, 2048}, Case{&tiny, 30}}) {
    INFO(c.space->kind() << " all_pairs_max " << c.all_pairs_max);
    auto make = [&](Coding coding) {
      return std::make_unique<DecisionPairFeatures>(*c.space, c.all_pairs_max, DecisionPairFeatures::kMaxFeatures,
                                                    Overflow::drop_pairs, coding);
    };
    REQUIRE(make(Coding::treatment)->all_pairs() == make(Coding::one_hot)->all_pairs());
    CHECK(make(Coding::treatment)->size() < make(Coding::one_hot)->size());
    RidgeSurrogate hot(make(Coding::one_hot), 1.0), tr(make(Coding::treatment), 1.0);
    Rng rng(21);
    for (int n = 0; n < 3 * static_cast<int>(RidgeSurrogate::kFlushEvery) + 5; ++n) {
      Architecture a = c.space->random(rng);
      const double y = fake_reward(a) + rng.normal();
      hot.observe(a, y);
      tr.observe(a, y);
      if (n % 17 != 3) continue;
      for (int k = 0; k < 20; ++k) {
        Architecture x = c.space->random(rng);
        CHECK(tr.predict(x) == Approx(hot.predict(x)).epsilon(1e-5));
        CHECK(tr.uncertainty(x) == Approx(hot.uncertainty(x)).epsilon(1e-4));
      }
    }
  }
}

TEST_CASE("a fantasy shrinks the variance as observing it would, and leaves every mean", "[ridge]") {
  // The weights' covariance after an observation does not depend on its reward,
  // so a fantasy of `a` must give each architecture the variance a surrogate that
  // observed `a` has (that one's noise estimate differs: n + 1 observations, one
  // more residual of ~0), and no mean may move.
  Nb201Space space;
  RidgeSurrogate s(std::make_unique<DecisionPairFeatures>(space), 1.0);
  RidgeSurrogate t(std::make_unique<DecisionPairFeatures>(space), 1.0);
  Rng rng(21);
  const int n = 20;  // below kFlushEvery: both hold the same P0
  for (int i = 0; i < n; ++i) {
    Architecture a = space.random(rng);
    s.observe(a, fake_reward(a));
    t.observe(a, fake_reward(a));
  }
  std::vector<Architecture> probe;
  for (int i = 0; i < 30; ++i) probe.push_back(space.random(rng));
  Architecture f1 = space.random(rng), f2 = space.neighbours(f1)[3];
  probe.push_back(f1);
  probe.push_back(f2);
  std::vector<double> mean, unc;
  for (const auto& x : probe) {
    mean.push_back(s.predict(x));
    unc.push_back(s.uncertainty(x));
  }
  s.add_fantasy(f1);
  s.add_fantasy(f2);
  t.observe(f1, t.predict(f1));
  t.observe(f2, t.predict(f2));
  const double ratio = static_cast<double>(n + 2) / n;  // noise(s) / noise(t) with zero residuals
  for (size_t i = 0; i < probe.size(); ++i) {
    CHECK(s.predict(probe[i]) == mean[i]);
    CHECK(s.uncertainty(probe[i]) <= unc[i]);
    const double ts = t.uncertainty(probe[i]);
    CHECK(s.uncertainty(probe[i]) * s.uncertainty(probe[i]) == Approx(ts * ts * ratio).epsilon(1e-9));
  }
  CHECK(s.uncertainty(f1) < 0.9 * unc[probe.size() - 2]);

  SECTION("memoized scores equal fresh ones with fantasies") {
    std::vector<const Choice*> ptrs;
    std::vector<uint32_t> idx;
    for (uint32_t i = 0; i < probe.size(); ++i) {
      ptrs.push_back(probe[i].choices.data());
      idx.push_back(i);
    }
    ScoreMemos memos;
    memos.reset(probe.size());
    const size_t d = static_cast<size_t>(space.num_decisions());
    std::vector<double> fresh(probe.size()), memo(probe.size());
    s.clear_fantasies();
    s.predict_ucb_memo(ptrs, idx, d, 4.0, memos, memo.data());  // warm memos without fantasies
    s.add_fantasy(f1);
    s.predict_ucb_memo(ptrs, idx, d, 4.0, memos, memo.data());
    s.predict_ucb(ptrs, d, 4.0, fresh.data());
    for (size_t i = 0; i < probe.size(); ++i) {
      CHECK(memo[i] == fresh[i]);
      CHECK(fresh[i] == s.predict(probe[i]) + 4.0 * s.uncertainty(probe[i]));
    }
  }
  SECTION("clear_fantasies and observe drop them") {
    s.clear_fantasies();
    for (size_t i = 0; i < probe.size(); ++i) CHECK(s.uncertainty(probe[i]) == unc[i]);
    s.add_fantasy(f1);
    auto v = reloaded(s, space);  // no fantasies: they are not saved
    Architecture x = space.random(rng);
    s.observe(x, fake_reward(x));
    v->observe(x, fake_reward(x));
    for (const auto& p : probe) CHECK(s.uncertainty(p) == v->uncertainty(p));
  }
}
