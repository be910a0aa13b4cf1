#pragma once
// Every search algorithm (MCTS and the baselines) runs through this interface, so
// they are driven by the same loop and compared fairly.
//
// Rewards are always "higher is better": the run loop negates minimized metrics.
// A failed trial (no score) is observed with reward = NaN; each algorithm decides
// what a failure means to it (usually: never propose it again, treat as worst).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/binary_io.h"
#include "space/search_space.h"

namespace mctsnas {

struct Proposal {
  uint64_t id = 0;        // trial id, dense from 0 in proposal order
  Architecture arch;
};

// What a report shows of the search state (tree algorithms fill it in).
struct SearchStats {
  int64_t nodes = 0;
  std::vector<int64_t> visits_by_depth;   // summed visit counts of the nodes at each depth
  std::vector<Architecture> most_visited_path;  // root first, following the most-visited child
};

class Searcher {
 public:
  virtual ~Searcher() = default;
  virtual std::string name() const = 0;

  // Up to k architectures to evaluate now, all distinct and none evaluated or in
  // flight before. Fewer (even none) when the space is exhausted or when the
  // algorithm must wait for results in flight.
  virtual std::vector<Proposal> propose(int k) = 0;
  virtual void observe(const Proposal& p, double reward) = 0;

  // A Pareto search (objective.metrics) gives a searcher that takes_objectives() every
  // trial's objectives (one per metric, higher is better, all NaN for a failed trial)
  // through observe_objectives instead of observe; any other searcher runs wrapped in
  // a ScalarizingSearcher (search/multi_objective.h: make_pareto_searcher).
  virtual bool takes_objectives() const { return false; }
  virtual void observe_objectives(const Proposal& p, std::span<const double> rewards);

  // Complete state, RNG included; load() into a searcher built from the same
  // config continues exactly where save() was called.
  virtual void save(ByteWriter& out) const = 0;
  virtual void load(ByteReader& in) = 0;

  virtual SearchStats stats() const { return {}; }
};

}  // namespace mctsnas
