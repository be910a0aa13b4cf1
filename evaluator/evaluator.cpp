#include "evaluator/evaluator.h"

#include <cmath>

namespace mctsnas {

namespace {
constexpr const char* kNames[] = {"ok",      "timeout", "oom_host",   "oom_gpu",      "diverged",
                                  "crashed", "invalid", "infeasible", "stopped_early", "killed"};
}

namespace {
TrialResult invalid(const char* why) {
  TrialResult r;
  r.status = TrialStatus::invalid;
  r.score = std::nan("");
  r.error = why;
  return r;
}
}  // namespace

TrialResult Evaluator::evaluate_baseline(const Architecture&, const TrialBudget&, const StopToken&) {
  return invalid("this evaluator has no reference baseline");
}

TrialResult Evaluator::evaluate_reseeded(const Architecture&, bool, uint32_t, const TrialBudget&, const StopToken&) {
  return invalid("this evaluator trains nothing from other seeds");
}

TrialResult evaluate_request(Evaluator& evaluator, const Architecture& arch, bool baseline, uint32_t seed,
                             const TrialBudget& budget, const StopToken& stop, ProgressSink* progress) {
  if (seed > 0) return evaluator.evaluate_reseeded(arch, baseline, seed, budget, stop);
  if (baseline) return evaluator.evaluate_baseline(arch, budget, stop);
  return evaluator.evaluate(arch, budget, stop, progress);
}

const char* to_string(TrialStatus s) { return kNames[static_cast<int>(s)]; }

std::optional<TrialStatus> trial_status_from_string(const std::string& s) {
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i)
    if (s == kNames[i]) return static_cast<TrialStatus>(i);
  return std::nullopt;
}

}  // namespace mctsnas
