#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/error.h"
#include "search/ridge_surrogate.h"
#include "search/surrogate.h"
#include "search_test_util.h"
#include "space/nb201_space.h"

using namespace mctsnas;
using namespace mctsnas::testing;

namespace {

// A surrogate without a batch path: scores come from Surrogate::predict_ucb.
class SumSurrogate final : public Surrogate {
 public:
  std::string name() const override { return "sum"; }
  void observe(const Architecture&, double) override { ++n_; }
  double predict(const Architecture& a) const override {
    double s = 0;
    for (Choice c : a.choices) s += c;
    return s;
  }
  double uncertainty(const Architecture& a) const override { return 0.5 * static_cast<double>(a.choices[0]); }
  int64_t num_observations() const override { return n_; }
  void save(ByteWriter&) const override {}
  void load(ByteReader&) override {}

 private:
  int64_t n_ = 0;
};

}  // namespace

TEST_CASE("make_surrogate: ridge or none", "[surrogate]") {
  Nb201Space space;
  CHECK(make_surrogate(SurrogateKind::none, space) == nullptr);
  auto ridge = make_surrogate(SurrogateKind::ridge, space);
  REQUIRE(ridge);
  CHECK(ridge->name() == "ridge");
  CHECK(ridge->num_observations() == 0);
}

TEST_CASE("the default batch score is predict + beta * uncertainty", "[surrogate]") {
  SumSurrogate s;
  const std::vector<std::vector<Choice>> archs = {{1, 2, 3}, {4, 0, 1}};
  const std::vector<const Choice*> ptrs = {archs[0].data(), archs[1].data()};
  double out[2];
  s.predict_ucb(ptrs, 3, 2.0, out);
  CHECK(out[0] == 6.0 + 2.0 * 0.5);
  CHECK(out[1] == 5.0 + 2.0 * 2.0);
  ScoreMemos memos;
  memos.reset(2);
  const std::vector<uint32_t> idx = {0, 1};
  s.predict_ucb_memo(ptrs, idx, 3, 0.0, memos, out);
  CHECK(out[0] == 6.0);
  CHECK(out[1] == 5.0);
}
