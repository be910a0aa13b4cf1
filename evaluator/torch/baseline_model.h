#pragma once
// The reference Transformer a run compares its winner with, sized to the winner's
// parameter count: the same model kind and layer counts, and the width (d_model)
// whose standard Transformer has the parameter count closest to the winner's.
// A Transformer's count is a quadratic in d_model (attention and FFN weights ~d^2,
// embeddings, norms and biases ~d) and does not depend on the head count, so three
// small widths fix the quadratic and the width is solved for, then checked by
// building the models either side. Widths are even, with 4 heads where the width
// is a multiple of 4, else 2. One step of 2 changes the count by about 4/d, so it
// lands within ±5% of the winner's for widths of 40 and more (the metrics record
// both counts, so a user sees the gap below that).
#include <cstdint>

#include "evaluator/torch/seq_model.h"

namespace mctsnas::torchnas {

struct BaselineSize {
  ModelSpec spec;            // transformer_baseline set, d_model and heads chosen
  int64_t params = 0;        // the reference Transformer's parameter count
  int64_t target_params = 0; // the winner's
};

BaselineSize param_matched_baseline(const CellArchitecture& winner, const ModelShape& shape);

}  // namespace mctsnas::torchnas
