#pragma once
// AdamW with multi-tensor (_foreach_*) updates: the same arithmetic as
// torch::optim::AdamW (decoupled weight decay, bias correction), but a handful of
// kernel launches per step instead of ~10 per parameter tensor. Small models on a
// GPU are bound by launches, so this is most of the C++ trainer's step-time edge.
#include <torch/torch.h>

#include <vector>

namespace mctsnas::torchnas {

struct AdamWSettings {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
};

class ForeachAdamW {
 public:
  ForeachAdamW(std::vector<torch::Tensor> params, AdamWSettings s);
  void zero_grad();   // sets gradients to undefined
  // One update with learning rate lr; parameters without a gradient are skipped.
  void step(double lr);
  int64_t steps() const { return t_; }

 private:
  std::vector<torch::Tensor> params_, exp_avg_, exp_avg_sq_;
  AdamWSettings s_;
  int64_t t_ = 0;
};

}  // namespace mctsnas::torchnas
