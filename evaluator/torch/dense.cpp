#include "evaluator/torch/dense.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include "common/error.h"

namespace mctsnas::torchnas {
namespace {

c10::IValue call_op(const char* name, std::vector<c10::IValue> stack) {
  // Through the dispatcher, boxed: the packed-parameter class is not in LibTorch's
  // public headers, and its type differs between quantized engines and versions.
  const auto op = c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
  op.callBoxed(&stack);
  return stack.at(0);
}

}  // namespace

DenseImpl::DenseImpl(int64_t in_features, int64_t out_features) {
  // torch::nn::Linear's own initialisation (and random draws), so a model built with
  // Dense starts from exactly the weights it did with Linear.
  torch::nn::Linear init(in_features, out_features);
  weight = register_parameter("weight", init->weight);
  bias = register_parameter("bias", init->bias);
}

torch::Tensor DenseImpl::forward(const torch::Tensor& x) {
  if (!is_int8()) return torch::nn::functional::linear(x, weight, bias);
  MCTSNAS_CHECK(!x.is_cuda(), "an int8 layer runs on the CPU only");
  return call_op("quantized::linear_dynamic", {x.to(torch::kFloat).contiguous(), packed_, false}).toTensor();
}

void DenseImpl::set_int8(const torch::Tensor& int8_weight, const torch::Tensor& scales) {
  if (int8_weight.scalar_type() != torch::kChar || !int8_weight.sizes().equals(weight.sizes()))
    throw Error("int8 weight: expected int8 of shape " + c10::str(weight.sizes()) + ", got " +
                std::string(c10::toString(int8_weight.scalar_type())) + " " + c10::str(int8_weight.sizes()));
  if (scales.dim() != 1 || scales.size(0) != weight.size(0) || !(scales > 0).all().item<bool>())
    throw Error("int8 weight: expected " + std::to_string(weight.size(0)) + " positive scales, got " +
                c10::str(scales.sizes()));
  torch::NoGradGuard no_grad;
  int8_weight_ = int8_weight.contiguous();
  scales_ = scales.to(torch::kFloat).contiguous();
  const auto zero_points = torch::zeros({weight.size(0)}, torch::kLong);
  const auto q = at::_make_per_channel_quantized_tensor(int8_weight_, scales_.to(torch::kDouble), zero_points, 0);
  packed_ = call_op("quantized::linear_prepack", {q, bias.to(torch::kFloat).contiguous()});
  weight.copy_(int8_weight_.to(torch::kFloat) * scales_.unsqueeze(1));
}

}  // namespace mctsnas::torchnas
