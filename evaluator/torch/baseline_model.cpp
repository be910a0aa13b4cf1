#include "evaluator/torch/baseline_model.h"

#include <cmath>

namespace mctsnas::torchnas {

namespace {

int heads_for(int64_t d_model) { return d_model % 4 == 0 ? 4 : 2; }

ModelSpec transformer_of(const CellArchitecture& winner, int64_t d_model) {
  ModelSpec s;
  s.arch = winner;
  s.arch.d_model = static_cast<int>(d_model);
  s.transformer_baseline = true;
  s.baseline_heads = heads_for(d_model);
  return s;
}

int64_t params_of(const ModelSpec& spec, const ModelShape& shape) {
  torch::NoGradGuard no_grad;
  return build_model(spec, shape)->num_parameters();
}

}  // namespace

BaselineSize param_matched_baseline(const CellArchitecture& winner, const ModelShape& shape) {
  ModelSpec w;
  w.arch = winner;
  BaselineSize out;
  out.target_params = params_of(w, shape);
  // params(d) = a d^2 + b d + c, from d = 4, 8, 12 (second differences).
  const double p4 = static_cast<double>(params_of(transformer_of(winner, 4), shape));
  const double p8 = static_cast<double>(params_of(transformer_of(winner, 8), shape));
  const double p12 = static_cast<double>(params_of(transformer_of(winner, 12), shape));
  const double a = (p12 - 2 * p8 + p4) / 32.0;
  const double b = (p8 - p4) / 4.0 - 12.0 * a;
  const double c = p4 - 16.0 * a - 4.0 * b;
  const double t = static_cast<double>(out.target_params);
  const double d = a > 0 ? (-b + std::sqrt(std::max(0.0, b * b - 4 * a * (c - t)))) / (2 * a) : 4.0;
  const int64_t lo = std::max<int64_t>(4, 2 * static_cast<int64_t>(std::floor(d / 2)));
  for (int64_t cand : {lo, lo + 2}) {
    ModelSpec s = transformer_of(winner, cand);
    const int64_t p = params_of(s, shape);
    if (out.params == 0 || std::llabs(p - out.target_params) < std::llabs(out.params - out.target_params)) {
      out.spec = s;
      out.params = p;
    }
  }
  return out;
}

}  // namespace mctsnas::torchnas
