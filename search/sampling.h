#pragma once
// Helpers shared by the searchers.
#include <cmath>
#include <functional>
#include <optional>

#include "common/binary_io.h"
#include "common/rng.h"
#include "search/transposition.h"
#include "space/search_space.h"

namespace mctsnas {

// A random legal architecture not yet in `seen` (neither evaluated nor in flight).
// Rejection sampling first; when that keeps missing (space nearly exhausted) a
// depth-first walk in random choice order finds one for certain, or proves there
// is none (nullopt) — so a searcher never loops forever on a small space.
std::optional<Architecture> sample_unseen(const SearchSpace& space,
                                          const std::function<bool(const Architecture&)>& known, Rng& rng);
inline std::optional<Architecture> sample_unseen(const SearchSpace& space, const TranspositionTable& seen,
                                                 Rng& rng) {
  return sample_unseen(space, [&](const Architecture& a) { return seen.contains(a); }, rng);
}

// Failed trials (NaN) rank below every score.
inline bool better_reward(double a, double b) { return !std::isnan(a) && (std::isnan(b) || a > b); }

void put_arch(ByteWriter& out, const Architecture& a);
Architecture get_arch(ByteReader& in);

}  // namespace mctsnas
