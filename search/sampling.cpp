#include "search/sampling.h"

#include <vector>

namespace mctsnas {
namespace {

// Depth-first over legal choices; stops at the first unseen complete architecture.
// `budget` caps the leaves visited, so a huge space whose keys all collide under
// the canonical hash cannot stall a call.
bool dfs(const SearchSpace& space, const std::function<bool(const Architecture&)>& known, Rng& rng, Architecture& a,
         int64_t& budget) {
  const int i = static_cast<int>(a.choices.size());
  if (i == space.num_decisions()) {
    --budget;
    return !known(a);
  }
  std::vector<Choice> legal;
  space.legal_choices(a.choices, legal);
  shuffle(legal.begin(), legal.end(), rng);
  for (Choice c : legal) {
    if (budget <= 0) return false;
    a.choices.push_back(c);
    if (dfs(space, known, rng, a, budget)) return true;
    a.choices.pop_back();
  }
  return false;
}

}  // namespace

std::optional<Architecture> sample_unseen(const SearchSpace& space,
                                          const std::function<bool(const Architecture&)>& known, Rng& rng) {
  for (int tries = 0; tries < 200; ++tries) {
    Architecture a = space.random(rng);
    if (!known(a)) return a;
  }
  Architecture a;
  int64_t budget = 2'000'000;
  if (dfs(space, known, rng, a, budget)) return a;
  return std::nullopt;
}

void put_arch(ByteWriter& out, const Architecture& a) { out.put_vector(a.choices); }

Architecture get_arch(ByteReader& in) { return Architecture{in.get_vector<Choice>(1 << 20)}; }

}  // namespace mctsnas
