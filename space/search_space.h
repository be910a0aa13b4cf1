#pragma once
// The one interface the search sees for every space kind. A space is an ordered
// sequence of decisions; the legal choices of decision i may depend on the
// choices made before it. A complete, legal choice vector is an Architecture.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/rng.h"
#include "space/architecture.h"

namespace mctsnas {

struct Decision {
  std::string name;                  // e.g. "edge_1_0", "encoder.node2.op0", "d_model"
  std::vector<std::string> choices;  // labels of all choices this decision can ever take
};

// How many architectures the space holds.
struct SpaceSize {
  double count = 0;    // exact when `exact`, else an estimate
  bool exact = false;
  double distinct_canonical = 0;  // up to isomorphism, when known (0 = unknown)
  int walks = 0;       // an estimate from this many random walks (0: counted or computed)
};

class SearchSpace {
 public:
  virtual ~SearchSpace() = default;

  virtual std::string kind() const = 0;
  int num_decisions() const { return static_cast<int>(decisions_.size()); }
  const Decision& decision(int i) const { return decisions_.at(static_cast<size_t>(i)); }
  const std::vector<Decision>& decisions() const { return decisions_; }

  // Legal choices for decision prefix.size(), given the choices in `prefix`.
  // Default: every choice of that decision.
  virtual void legal_choices(std::span<const Choice> prefix, std::vector<Choice>& out) const;

  // True when `a` has one legal choice per decision.
  bool is_legal(const Architecture& a) const;

  // Legal architectures that differ from `a` in exactly one decision (an op, an
  // input, a macro choice). Used by edit trees, local search and mutation.
  // Default: every alternative choice of every decision that keeps `a` legal.
  virtual std::vector<Architecture> neighbours(const Architecture& a) const;
  // The same neighbours, in the same order, appended to `out` as one flat run
  // of num_decisions() choices each (no allocation per neighbour: the edit
  // tree lists the neighbours of every node it expands). A space that
  // overrides neighbours() overrides this too (or neighbours() alone, at the
  // cost of the default's copy).
  virtual void append_neighbours(std::span<const Choice> a, std::vector<Choice>& out) const;

  // Equal for architectures that compute the same function (isomorphic cells,
  // dead nodes removed). Default: the exact hash.
  virtual uint64_t canonical_hash(const Architecture& a) const { return exact_hash(a.choices); }

  // The benchmark/table key and one-line human string, e.g. NB201's
  // "|nor_conv_3x3~0|+|...|". parse_key is its inverse (nullopt if malformed).
  virtual std::string key(const Architecture& a) const = 0;
  virtual std::optional<Architecture> parse_key(std::string_view key) const = 0;

  // A uniformly random legal choice at each decision in order (not uniform over
  // architectures when legality depends on earlier choices).
  virtual Architecture random(Rng& rng) const;

  virtual SpaceSize size() const;

 protected:
  std::vector<Decision> decisions_;
};

}  // namespace mctsnas
