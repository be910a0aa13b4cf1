#pragma once
// NAS-Bench-201 cell: 4 nodes, 6 edges (j -> i for j < i), each one of 5 ops.
// Decision order = the order of the benchmark's arch string:
//   edge 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
#include "space/search_space.h"

namespace mctsnas {

class Nb201Space final : public SearchSpace {
 public:
  Nb201Space();
  std::string kind() const override { return "nb201"; }
  std::string key(const Architecture& a) const override;
  std::optional<Architecture> parse_key(std::string_view key) const override;
  uint64_t canonical_hash(const Architecture& a) const override;
  SpaceSize size() const override;

  // Canonical form as text: equal for architectures computing the same function.
  std::string canonical_string(const Architecture& a) const;

  static constexpr int kEdges = 6;
  static constexpr int kOps = 5;
  // (to, from) per decision.
  static constexpr int kEdgeTo[kEdges] = {1, 2, 2, 3, 3, 3};
  static constexpr int kEdgeFrom[kEdges] = {0, 0, 1, 0, 1, 2};
};

}  // namespace mctsnas
