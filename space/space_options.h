#pragma once
// The `space:` section of the config, as plain structs with defaults.
#include <memory>
#include <string>
#include <vector>

namespace mctsnas {

class SearchSpace;

struct CategoricalDecisionOptions {
  std::string name;
  std::vector<std::string> choices;
};

struct CategoricalSpaceOptions {
  std::vector<CategoricalDecisionOptions> decisions;
  std::string separator = "-";   // architecture key = choices joined by this
};

struct CellOptions {
  int nodes = 4;                  // intermediate nodes per cell
  std::vector<std::string> ops;   // op names from the vocabulary (space/ops.h)
  std::string combine = "sum";    // sum | concat (concat + projection)
};

struct MacroOptions {
  std::vector<int> d_model = {64, 128, 256};
  std::vector<int> encoder_layers = {1, 2, 4};
  std::vector<int> decoder_layers = {1, 2, 4};
};

struct CellSpaceOptions {
  std::string model = "encoder_decoder";   // encoder_decoder | decoder_only | encoder_only
  CellOptions encoder;
  CellOptions decoder;
  MacroOptions macro;
  bool require_cross_attention = true;     // a seq2seq decoder attends to the encoder at least once
};

struct SpaceOptions {
  std::string kind = "nb201";     // nb201 | categorical | cells
  CategoricalSpaceOptions categorical;
  CellSpaceOptions cells;
};

// Builds the space; throws Error on an inconsistent section (e.g. unknown op).
std::unique_ptr<SearchSpace> make_space(const SpaceOptions& options);

}  // namespace mctsnas
