#include "space/search_space.h"

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
  std::vector<Architecture> out;
  std::vector<Choice> legal;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    legal_choices(std::span(a.choices.data(), i), legal);
    for (Choice c : legal) {
      if (c == a.choices[i]) continue;
      Architecture n = a;
      n.choices[i] = c;
      if (is_legal(n)) out.push_back(std::move(n));
    }
  }
  return out;
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
