#pragma once
// The `space:` section of the config, as plain structs with defaults.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/option_schema.h"

namespace mctsnas {

class SearchSpace;

enum class SpaceKind { nb201, categorical, cells };
inline constexpr EnumName<SpaceKind> kSpaceKindNames[] = {
    {"nb201", SpaceKind::nb201}, {"categorical", SpaceKind::categorical}, {"cells", SpaceKind::cells}};
constexpr std::span<const EnumName<SpaceKind>> enum_names(SpaceKind) { return kSpaceKindNames; }

// How a cell merges its output nodes: summed, or concatenated and projected.
enum class CellCombine { sum, concat };
inline constexpr EnumName<CellCombine> kCellCombineNames[] = {{"sum", CellCombine::sum},
                                                              {"concat", CellCombine::concat}};
constexpr std::span<const EnumName<CellCombine>> enum_names(CellCombine) { return kCellCombineNames; }

enum class ModelKind { encoder_decoder, decoder_only, encoder_only };
inline constexpr EnumName<ModelKind> kModelKindNames[] = {
    {"encoder_decoder", ModelKind::encoder_decoder},
    {"decoder_only", ModelKind::decoder_only},
    {"encoder_only", ModelKind::encoder_only}};
constexpr std::span<const EnumName<ModelKind>> enum_names(ModelKind) { return kModelKindNames; }

struct CategoricalDecisionOptions {
  std::string name;
  std::vector<std::string> choices;
};

struct CategoricalSpaceOptions {
  std::vector<CategoricalDecisionOptions> decisions;
  std::string separator = "-";   // architecture key = choices joined by this
};

inline constexpr int kMaxCellNodes = 12;

struct CellOptions {
  int nodes = 4;                  // intermediate nodes per cell, 1..kMaxCellNodes
  std::vector<std::string> ops;   // op names from the vocabulary (space/ops.h)
  CellCombine combine = CellCombine::sum;
};

struct MacroOptions {
  std::vector<int> d_model = {64, 128, 256};
  std::vector<int> encoder_layers = {1, 2, 4};
  std::vector<int> decoder_layers = {1, 2, 4};
};

struct CellSpaceOptions {
  ModelKind model = ModelKind::encoder_decoder;
  CellOptions encoder;
  CellOptions decoder;
  MacroOptions macro;
  bool require_cross_attention = true;     // a seq2seq decoder attends to the encoder at least once
};

struct SpaceOptions {
  SpaceKind kind = SpaceKind::nb201;
  CategoricalSpaceOptions categorical;
  CellSpaceOptions cells;
};

// The config keys of each struct (common/option_schema.h; app/ reads and writes them).
template <class V> void bind_fields(V& v, CategoricalDecisionOptions& o) {
  using namespace config;
  v.field("name", o.name, non_empty());
  v.field("choices", o.choices, non_empty().no_repeats());
}
template <class V> void bind_fields(V& v, CategoricalSpaceOptions& o) {
  v.field("decisions", o.decisions);
  v.field("separator", o.separator, config::non_empty());
}
template <class V> void bind_fields(V& v, CellOptions& o) {
  using namespace config;
  v.field("nodes", o.nodes, min(1).max(kMaxCellNodes));
  v.field("ops", o.ops, Check().no_repeats());   // names checked by make_space
  v.field("combine", o.combine);
}
template <class V> void bind_fields(V& v, MacroOptions& o) {
  using namespace config;
  v.field("d_model", o.d_model, min(1).max(1 << 20).non_empty().no_repeats());
  v.field("encoder_layers", o.encoder_layers, min(0).max(1024).non_empty().no_repeats());
  v.field("decoder_layers", o.decoder_layers, min(0).max(1024).non_empty().no_repeats());
}
template <class V> void bind_fields(V& v, CellSpaceOptions& o) {
  v.field("model", o.model);
  v.field("encoder", o.encoder);
  v.field("decoder", o.decoder);
  v.field("macro", o.macro);
  v.field("require_cross_attention", o.require_cross_attention);
}
// The cells' keys sit directly under `space:` (space.encoder, space.macro, ... as in
// DESIGN.md and configs/); a categorical space's under `space.categorical:`.
template <class V> void bind_fields(V& v, SpaceOptions& o) {
  v.field("kind", o.kind);
  v.field("categorical", o.categorical);
  v.inline_section(o.cells);
}

// Builds the space; throws Error on an inconsistent section (e.g. unknown op).
std::unique_ptr<SearchSpace> make_space(const SpaceOptions& options);

}  // namespace mctsnas
