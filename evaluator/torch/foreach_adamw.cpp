#include "evaluator/torch/foreach_adamw.h"

#include <cmath>

namespace mctsnas::torchnas {

ForeachAdamW::ForeachAdamW(std::vector<torch::Tensor> params, AdamWSettings s) : params_(std::move(params)), s_(s) {
  for (const auto& p : params_) {
    exp_avg_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    exp_avg_sq_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
  }
}

void ForeachAdamW::zero_grad() {
  // To none, as PyTorch does: backward allocates fresh gradients, no zeroing kernels.
  for (auto& p : params_) p.mutable_grad().reset();
}

void ForeachAdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> p, g, m, v;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    p.push_back(params_[i]);
    g.push_back(params_[i].grad());
    m.push_back(exp_avg_[i]);
    v.push_back(exp_avg_sq_[i]);
  }
  if (p.empty()) return;
  ++t_;
  const double bc1 = 1.0 - std::pow(s_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(s_.beta2, static_cast<double>(t_));
  if (s_.weight_decay != 0) at::_foreach_mul_(p, 1.0 - lr * s_.weight_decay);
  at::_foreach_mul_(m, s_.beta1);
  at::_foreach_add_(m, g, 1.0 - s_.beta1);
  at::_foreach_mul_(v, s_.beta2);
  at::_foreach_addcmul_(v, g, g, 1.0 - s_.beta2);
  auto denom = at::_foreach_sqrt(v);
  at::_foreach_div_(denom, std::sqrt(bc2));
  at::_foreach_add_(denom, s_.eps);
  at::_foreach_addcdiv_(p, m, denom, -lr / bc1);
}

}  // namespace mctsnas::torchnas
