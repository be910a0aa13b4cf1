#include "space/search_space.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace mctsnas {

uint64_t exact_hash(std::span<const Choice> choices) {
  uint64_t h = 0x51ed270b27b0f3a1ULL ^ choices.size();
  for (Choice c : choices) h = hash_combine(h, c);
  return h;
}

void SearchSpace::legal_choices(std::span<const Choice> prefix, std::vector<Choice>& out) const {
  out.clear();
  const auto& d = decision(static_cast<int>(prefix.size()));
  for (size_t c = 0; c < d.choices.size(); ++c) out.push_back(static_cast<Choice>(c));
}

bool SearchSpace::is_legal(const Architecture& a) const {
  if (a.choices.size() != decisions_.size()) return false;
  std::vector<Choice> legal;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    legal_choices(std::span(a.choices.data(), i), legal);
    bool found = false;
    for (Choice c : legal) found |= (c == a.choices[i]);
    if (!found) return false;
  }
  return true;
}

std::vector<Architecture> SearchSpace::neighbours(const Architecture& a) const {
  std::vector<Choice> flat;
  append_neighbours(a.choices, flat);
  std::vector<Architecture> out;
  const size_t d = a.choices.size();
  for (size_t at = 0; at + d <= flat.size() && d > 0; at += d)
    out.push_back(Architecture{std::vector<Choice>(flat.begin() + static_cast<std::ptrdiff_t>(at),
                                                   flat.begin() + static_cast<std::ptrdiff_t>(at + d))});
  return out;
}

void SearchSpace::append_neighbours(std::span<const Choice> a, std::vector<Choice>& out) const {
  // Every alternative choice of every decision that keeps `a` legal. Changing
  // decision i leaves the choices before it legal (legality depends on the
  // prefix only), so only decisions after i are checked.
  std::vector<Choice> legal, later, cand(a.begin(), a.end());
  for (size_t i = 0; i < a.size(); ++i) {
    legal_choices(std::span(a.data(), i), legal);
    for (Choice c : legal) {
      if (c == a[i]) continue;
      cand[i] = c;
      bool ok = true;
      for (size_t j = i + 1; ok && j < a.size(); ++j) {
        legal_choices(std::span(cand.data(), j), later);
        ok = std::find(later.begin(), later.end(), cand[j]) != later.end();
      }
      if (ok) out.insert(out.end(), cand.begin(), cand.end());
    }
    cand[i] = a[i];
  }
}

Architecture SearchSpace::random(Rng& rng) const {
  Architecture a;
  a.choices.reserve(decisions_.size());
  std::vector<Choice> legal;
  for (size_t i = 0; i < decisions_.size(); ++i) {
    legal_choices(a.choices, legal);
    MCTSNAS_CHECK(!legal.empty(), "decision " + decisions_[i].name + " has no legal choice");
    a.choices.push_back(legal[rng.below(legal.size())]);
  }
  return a;
}

SpaceSize SearchSpace::size() const {
  // Product of the per-decision choice counts: exact when legality never depends
  // on earlier choices (overridden by spaces where it does).
  double n = 1;
  for (const auto& d : decisions_) n *= static_cast<double>(d.choices.size());
  return SpaceSize{n, true, 0};
}

}  // namespace mctsnas
