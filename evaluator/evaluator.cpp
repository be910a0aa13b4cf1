#include "evaluator/evaluator.h"

#include <cmath>

namespace mctsnas {

namespace {
constexpr const char* kNames[] = {"ok",      "timeout", "oom_host",   "oom_gpu",      "diverged",
                                  "crashed", "invalid", "infeasible", "stopped_early", "killed"};
}

TrialResult Evaluator::evaluate_baseline(const Architecture&, const TrialBudget&, const StopToken&) {
  TrialResult r;
  r.status = TrialStatus::invalid;
  r.score = std::nan("");
  r.error = "this evaluator has no reference baseline";
  return r;
}

const char* to_string(TrialStatus s) { return kNames[static_cast<int>(s)]; }

std::optional<TrialStatus> trial_status_from_string(const std::string& s) {
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i)
    if (s == kNames[i]) return static_cast<TrialStatus>(i);
  return std::nullopt;
}

}  // namespace mctsnas
