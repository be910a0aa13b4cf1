#pragma once
// A fully connected layer: the same parameters ("weight" [out, in], "bias" [out]),
// initialisation and math as torch::nn::Linear, so trials, weights.pt and model.py are
// unchanged, plus an int8 mode for CPU inference (compress). In int8 mode the weight is
// per-output-channel symmetric qint8, packed for the quantized engine in use, and the
// forward is LibTorch's dynamic quantized linear (activations quantized per batch).
#include <torch/torch.h>

#include <string>

namespace mctsnas::torchnas {

class DenseImpl : public torch::nn::Module {
 public:
  DenseImpl(int64_t in_features, int64_t out_features);
  torch::Tensor forward(const torch::Tensor& x);

  // Switches to int8: `int8_weight` [out, in] (kChar) and `scales` [out] (kFloat), the
  // weight being int8_weight * scales per row. The fp32 weight is replaced by that
  // product, so the parameters still describe what the layer computes.
  void set_int8(const torch::Tensor& int8_weight, const torch::Tensor& scales);
  bool is_int8() const { return int8_weight_.defined(); }
  const torch::Tensor& int8_weight() const { return int8_weight_; }
  const torch::Tensor& int8_scales() const { return scales_; }

  torch::Tensor weight, bias;

 private:
  torch::Tensor int8_weight_, scales_;
  c10::IValue packed_;   // engine-specific, never saved: made again on load
};
TORCH_MODULE(Dense);

}  // namespace mctsnas::torchnas
