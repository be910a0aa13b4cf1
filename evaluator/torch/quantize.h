#pragma once
// int8 dynamic quantization of a model's fully connected layers (Dense) for CPU
// inference, and its file format. Convolutions, embeddings and norms stay fp32:
// LibTorch's dynamic int8 conv1d was measured to clip its outputs (1.13 and 2.x).
//
// weights_int8.pt is the project's own format, a LibTorch archive of plain tensors,
// because packed parameters are specific to a quantized engine and version:
//   "<module>.weight_int8"  int8 [out, in]   per-output-channel symmetric
//   "<module>.weight_scale" float [out]      weight = weight_int8 * weight_scale
//   every other parameter   fp32, under its weights.pt name
// Loading re-packs the int8 weights for the engine of the machine it runs on.
#include <string>

#include "evaluator/torch/seq_model.h"

namespace mctsnas::torchnas {

// Chooses LibTorch's quantized engine: x86, fbgemm or onednn, the first this build
// supports (never qnnpack, which is for ARM). Error when none is available.
std::string use_int8_engine();

// Quantizes every Dense layer of `model` (on the CPU): each output row's scale is its
// largest absolute weight / 127. Returns the number of layers quantized.
int quantize_int8(SeqModel& model);

void save_int8_weights(const SeqModel& model, const std::string& path);
// Into a model built from the same spec and shape; Error naming the file and the
// tensor that is missing or has the wrong shape or type.
void load_int8_weights(SeqModel& model, const std::string& path);

}  // namespace mctsnas::torchnas
