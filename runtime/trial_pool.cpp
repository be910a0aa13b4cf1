#include "runtime/trial_pool.h"

namespace mctsnas {

std::string trial_name(uint64_t id, bool baseline, uint32_t seed) {
  if (seed > 0) return std::string(baseline ? "baseline" : "winner") + "-seed" + std::to_string(seed);
  return baseline ? std::string("baseline") : std::to_string(id);
}

}  // namespace mctsnas
