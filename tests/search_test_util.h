#pragma once
// Shared by the search tests: a tiny categorical space (optionally with a
// permutation-invariant canonical hash, to stand in for isomorphic cells), a
// deterministic fake evaluator, and a driver loop.
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/binary_io.h"
#include "common/rng.h"
#include "search/searcher.h"
#include "space/search_space.h"

namespace mctsnas::testing {

class TinySpace final : public SearchSpace {
 public:
  // sizes[i] = number of choices of decision i. canonical_sorted: architectures
  // that are permutations of each other count as "isomorphic".
  explicit TinySpace(std::vector<int> sizes, bool canonical_sorted = false) : sorted_(canonical_sorted) {
    for (size_t i = 0; i < sizes.size(); ++i) {
      Decision d{"d" + std::to_string(i), {}};
      for (int c = 0; c < sizes[i]; ++c) d.choices.push_back("c" + std::to_string(c));
      decisions_.push_back(d);
    }
  }
  std::string kind() const override { return "tiny"; }
  std::string key(const Architecture& a) const override {
    std::string s;
    for (Choice c : a.choices) s += std::to_string(c) + ".";
    return s;
  }
  std::optional<Architecture> parse_key(std::string_view) const override { return std::nullopt; }
  uint64_t canonical_hash(const Architecture& a) const override {
    if (!sorted_) return exact_hash(a.choices);
    auto c = a.choices;
    std::sort(c.begin(), c.end());
    return exact_hash(c);
  }

 private:
  bool sorted_;
};

// Every legal architecture of a (small) space, in depth-first order of its legal choices.
inline std::vector<Architecture> all_architectures(const SearchSpace& s) {
  std::vector<Architecture> out;
  std::vector<Choice> prefix;
  auto rec = [&](auto&& self) -> void {
    if (static_cast<int>(prefix.size()) == s.num_decisions()) {
      out.push_back(Architecture{prefix});
      return;
    }
    std::vector<Choice> legal;
    s.legal_choices(prefix, legal);
    for (Choice c : legal) {
      prefix.push_back(c);
      self(self);
      prefix.pop_back();
    }
  };
  rec(rec);
  return out;
}

// A smooth-ish deterministic reward: per-decision weights plus one pair term.
inline double fake_reward(const Architecture& a) {
  double r = 50;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    uint64_t x = i * 1000 + a.choices[i];
    r += static_cast<double>(splitmix64(x) % 1000) / 100.0;
  }
  if (a.choices.size() >= 2) {
    uint64_t x = 77777 + a.choices[0] * 31 + a.choices[1];
    r += static_cast<double>(splitmix64(x) % 100) / 100.0;
  }
  return r;
}

// Proposes k, observes all in proposal order, `rounds` times (or until nothing
// is proposed). Returns every proposal. `fail` marks trials that fail (NaN).
inline std::vector<Proposal> drive(Searcher& s, int rounds, int k,
                                   const std::function<bool(const Architecture&)>& fail = nullptr) {
  std::vector<Proposal> all;
  for (int r = 0; r < rounds; ++r) {
    auto props = s.propose(k);
    if (props.empty()) break;
    for (const auto& p : props) {
      double reward = fail && fail(p.arch) ? NAN : fake_reward(p.arch);
      s.observe(p, reward);
      all.push_back(p);
    }
  }
  return all;
}

inline std::string proposals_text(const std::vector<Proposal>& ps) {
  std::string s;
  for (const auto& p : ps) {
    s += std::to_string(p.id) + ":";
    for (Choice c : p.arch.choices) s += std::to_string(c) + ",";
    s += "\n";
  }
  return s;
}

// Drives a searcher until it proposes nothing; returns the proposals. The round
// cap turns "never stops proposing" into a test failure instead of a hang.
inline std::vector<Proposal> drive_to_exhaustion(Searcher& s, int k,
                                                 const std::function<bool(const Architecture&)>& fail) {
  auto all = drive(s, 100000, k, fail);
  return all;
}

// Runs `total` rounds of k; a second searcher loads the first's state after
// `split` rounds and runs the rest. Both must propose the same trials and end
// in the same state (byte-identical saves).
template <class Make>
void check_resume_identical(Make make, int total, int split, int k) {
  auto a = make();
  auto first = drive(*a, split, k);
  ByteWriter mid;
  a->save(mid);
  auto rest_a = drive(*a, total - split, k);
  auto b = make();
  ByteReader in(mid.bytes(), "state");
  b->load(in);
  REQUIRE(in.at_end());
  auto rest_b = drive(*b, total - split, k);
  REQUIRE(!rest_a.empty());
  CHECK(proposals_text(rest_a) == proposals_text(rest_b));
  ByteWriter end_a, end_b;
  a->save(end_a);
  b->save(end_b);
  CHECK(end_a.bytes() == end_b.bytes());
}

}  // namespace mctsnas::testing
