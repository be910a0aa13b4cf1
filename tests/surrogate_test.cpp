#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

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
  for (int n = 0; n < 25; ++n) {
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
  CHECK(s.num_observations() == 25);
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
