#include <catch2/catch.hpp>

#include <vector>

#include "common/rng.h"
#include "space/nb201_space.h"

using namespace mctsnas;

namespace {

// Decision i may not exceed decision i - 1: legality depends on the prefix, so
// changing one decision can make a later one illegal.
class NonIncreasingSpace final : public SearchSpace {
 public:
  NonIncreasingSpace(int decisions, int choices) {
    for (int i = 0; i < decisions; ++i) {
      Decision d{"d" + std::to_string(i), {}};
      for (int c = 0; c < choices; ++c) d.choices.push_back(std::to_string(c));
      decisions_.push_back(d);
    }
  }
  std::string kind() const override { return "non_increasing"; }
  void legal_choices(std::span<const Choice> prefix, std::vector<Choice>& out) const override {
    out.clear();
    const size_t n = decision(static_cast<int>(prefix.size())).choices.size();
    const size_t top = prefix.empty() ? n - 1 : prefix.back();
    for (size_t c = 0; c <= top && c < n; ++c) out.push_back(static_cast<Choice>(c));
  }
  std::string key(const Architecture& a) const override {
    std::string s;
    for (Choice c : a.choices) s += std::to_string(c);
    return s;
  }
  std::optional<Architecture> parse_key(std::string_view) const override { return std::nullopt; }
};

// What neighbours() means: every one-decision change that is_legal() accepts,
// decisions in order, choices in legal_choices() order.
std::vector<Architecture> brute_force(const SearchSpace& s, const Architecture& a) {
  std::vector<Architecture> out;
  for (size_t i = 0; i < a.choices.size(); ++i)
    for (size_t c = 0; c < s.decision(static_cast<int>(i)).choices.size(); ++c) {
      if (c == a.choices[i]) continue;
      Architecture n = a;
      n.choices[i] = static_cast<Choice>(c);
      if (s.is_legal(n)) out.push_back(n);
    }
  return out;
}

std::vector<Choice> flat(const std::vector<Architecture>& v) {
  std::vector<Choice> f;
  for (const auto& a : v) f.insert(f.end(), a.choices.begin(), a.choices.end());
  return f;
}

}  // namespace

TEST_CASE("neighbours: legal one-decision changes; append_neighbours lists the same", "[space]") {
  NonIncreasingSpace s(4, 4);
  Rng rng(3);
  for (int k = 0; k < 50; ++k) {
    const Architecture a = s.random(rng);
    REQUIRE(s.is_legal(a));
    const auto ns = s.neighbours(a);
    CHECK(ns == brute_force(s, a));
    std::vector<Choice> out{9, 9};  // appends after what is there
    s.append_neighbours(a.choices, out);
    std::vector<Choice> want{9, 9};
    const auto f = flat(ns);
    want.insert(want.end(), f.begin(), f.end());
    CHECK(out == want);
  }
  // Lowering decision 0 below decision 1 is not a neighbour.
  const auto ns = s.neighbours(Architecture{{2, 2, 1, 0}});
  for (const auto& n : ns) CHECK(n.choices[0] >= n.choices[1]);
  CHECK(ns.size() == brute_force(s, Architecture{{2, 2, 1, 0}}).size());

  Nb201Space nb201;
  const Architecture b = nb201.random(rng);
  std::vector<Choice> out;
  nb201.append_neighbours(b.choices, out);
  CHECK(out == flat(nb201.neighbours(b)));
  CHECK(out.size() == 24 * 6);
}
