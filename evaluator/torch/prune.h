#pragma once
// Structured pruning (compress's "prune" variant): removes whole units from the ops
// that have them and builds the physically smaller model: smaller Linear weights, not
// masks, since masked weights cost the same on dense kernels.
//
// Importance of a unit (OpModuleImpl::unit_scores): the L1 norm of the weights that
// exist only for that unit:
//   ffn hidden unit j   row j of up (weight and bias) + column j of down
//   attention head h    its rows of q, k and v (weights and biases) + its columns of out
// Each op keeps its round((1 - fraction) * n) highest-scoring units (at least one; ties
// go to the lower index), in their original order. Every op loses the same fraction:
// L1 norms of different ops and layers are not on one scale. A kept attention head
// keeps its width d_model / heads (the op's named head count), so it computes exactly
// what it did; the model records the kept count per op (ModelSpec::op_units).
//
// What stays whole: every op maps [B, T, D] to [B, T, D] and the ops' outputs are summed
// into the residual stream, so a unit can go only where an inner dimension is followed
// by a projection back to D. A convolution's output channels and a GLU's outputs are D
// itself, and a concat cell's combine reads whole nodes: removing any would change D.
// A separable convolution's depthwise channels do feed its pointwise projection, but
// channel c reads input channel c, so dropping it needs a stored index of the kept
// channels and a gather per call; that is not built, so separable convolutions also
// stay whole (the quickstart's spaces have none).
#include <torch/torch.h>

#include <cstdint>

#include "evaluator/torch/seq_model.h"

namespace mctsnas::torchnas {

// The units to keep, as sorted indices, of an op whose units have these scores.
torch::Tensor units_to_keep(const torch::Tensor& scores, double fraction);

struct PrunedModel {
  ModelSpec spec;          // the input's, with op_units set for every op that lost units
  SeqModel model{nullptr}; // the kept units' weights; every other tensor copied unchanged
  int ops = 0;             // ops that lost units
};

// Prunes `fraction` (in (0, 1), else Error) of each prunable op's units of `model`
// (built from spec and shape). `model` is not changed.
PrunedModel prune_model(const SeqModel& model, const ModelSpec& spec, const ModelShape& shape, double fraction);

}  // namespace mctsnas::torchnas
