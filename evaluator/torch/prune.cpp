#include "evaluator/torch/prune.h"

#include <cmath>
#include <map>
#include <string>

#include "common/error.h"

namespace mctsnas::torchnas {

torch::Tensor units_to_keep(const torch::Tensor& scores, double fraction) {
  const int64_t n = scores.numel();
  const int64_t k = std::max<int64_t>(1, std::llround((1 - fraction) * static_cast<double>(n)));
  // A stable descending sort: equal scores keep the lower index first.
  const auto order = std::get<1>(scores.to(torch::kDouble).sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  return std::get<0>(order.slice(0, 0, k).sort());
}

PrunedModel prune_model(const SeqModel& model, const ModelSpec& spec, const ModelShape& shape, double fraction) {
  if (!(fraction > 0 && fraction < 1))
    throw Error("prune fraction must be in (0, 1) (the share of each op's units removed), got " +
                std::to_string(fraction));
  PrunedModel out{spec, nullptr, 0};
  std::map<std::string, torch::Tensor> keep;   // op path -> its kept units
  const auto original = model->named_modules();
  for (const auto& item : original) {
    const auto* op = dynamic_cast<const OpModuleImpl*>(item.value().get());
    const auto scores = op ? op->unit_scores() : torch::Tensor();
    if (!scores.defined()) continue;
    auto k = units_to_keep(scores, fraction);
    if (k.numel() == scores.numel()) continue;   // too few units to lose one
    out.spec.op_units[item.key()] = static_cast<int>(k.numel());
    keep[item.key()] = k;
  }
  out.ops = static_cast<int>(keep.size());
  out.model = build_model(out.spec, shape);
  const auto smaller = out.model->named_modules();
  for (const auto& [path, k] : keep)
    dynamic_cast<const OpModuleImpl&>(*original[path]).copy_units(k, dynamic_cast<OpModuleImpl&>(*smaller[path]));
  // Everything outside the pruned ops has the same name and shape in both models.
  auto in_pruned_op = [&](const std::string& name) {
    for (const auto& entry : keep)
      if (name.starts_with(entry.first + ".")) return true;
    return false;
  };
  auto copy_same = [&](const torch::OrderedDict<std::string, torch::Tensor>& from, const std::string& name,
                       torch::Tensor& to) {
    const auto& src = from[name];
    MCTSNAS_CHECK(src.sizes() == to.sizes(), "pruning changed " + name + ", which is outside the pruned ops");
    to.copy_(src);
  };
  torch::NoGradGuard no_grad;
  const auto params = model->named_parameters();
  const auto buffers = model->named_buffers();
  for (auto& p : out.model->named_parameters())
    if (!in_pruned_op(p.key())) copy_same(params, p.key(), p.value());
  for (auto& b : out.model->named_buffers()) copy_same(buffers, b.key(), b.value());
  out.model->train(model->is_training());
  return out;
}

}  // namespace mctsnas::torchnas
