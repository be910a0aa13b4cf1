#pragma once
// `space.kind: categorical`: a flat list of named decisions, each with its own
// choice labels (hyperparameter-style spaces, NB-Macro-like tables). Every
// combination is legal. The architecture key is the chosen labels joined by the
// separator, e.g. "conv3-glu-64", so a table keyed that way can score it.
#include "space/search_space.h"
#include "space/space_options.h"

namespace mctsnas {

class CategoricalSpace final : public SearchSpace {
 public:
  // Throws Error naming the config key (space.categorical...) when the options
  // would make keys ambiguous or the space empty.
  explicit CategoricalSpace(const CategoricalSpaceOptions& options);

  std::string kind() const override { return "categorical"; }
  std::string key(const Architecture& a) const override;
  std::optional<Architecture> parse_key(std::string_view key) const override;

  const std::string& separator() const { return separator_; }

 private:
  std::string separator_;
};

}  // namespace mctsnas
