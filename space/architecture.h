#pragma once
// An architecture, as the search sees it: one choice index per decision of the
// space's decision sequence. Every space kind (nb201, categorical, cells) encodes
// its architectures this way, so search/ needs no knowledge of graphs or ops; a
// space decodes the choices into its structured form (e.g. CellArchitecture).
#include <cstdint>
#include <span>
#include <vector>

namespace mctsnas {

using Choice = uint16_t;

struct Architecture {
  std::vector<Choice> choices;

  friend bool operator==(const Architecture&, const Architecture&) = default;
  friend auto operator<=>(const Architecture&, const Architecture&) = default;
};

// Order-sensitive hash of the choice vector: equal iff the choices are equal
// (up to 64-bit collisions). The "exact" transposition key.
uint64_t exact_hash(std::span<const Choice> choices);

struct ArchitectureHash {
  size_t operator()(const Architecture& a) const { return exact_hash(a.choices); }
};

}  // namespace mctsnas
