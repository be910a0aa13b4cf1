#include "evaluator/torch/quantize.h"

#include "common/error.h"
#include "evaluator/torch/dense.h"

namespace mctsnas::torchnas {
namespace {

// The Dense layers by module path, in module order.
std::vector<std::pair<std::string, DenseImpl*>> dense_layers(const SeqModel& model) {
  std::vector<std::pair<std::string, DenseImpl*>> out;
  for (const auto& m : model->named_modules())
    if (auto* d = m.value()->as<DenseImpl>()) out.emplace_back(m.key(), d);
  return out;
}

bool is_dense_weight(const std::vector<std::pair<std::string, DenseImpl*>>& layers, const std::string& param) {
  for (const auto& [name, d] : layers)
    if (param == name + ".weight") return true;
  return false;
}

torch::Tensor read_tensor(torch::serialize::InputArchive& a, const std::string& key, const std::string& path) {
  torch::Tensor t;
  if (!a.try_read(key, t)) throw Error("int8 weights file " + path + ": no tensor '" + key + "'");
  return t;
}

}  // namespace

std::string use_int8_engine() {
  auto& ctx = at::globalContext();
  const auto& supported = ctx.supportedQEngines();
  for (const char* want : {"X86", "FBGEMM", "ONEDNN"})
    for (const auto e : supported)
      if (c10::toString(e) == std::string(want)) {
        ctx.setQEngine(e);
        return want;
      }
  std::string names;
  for (const auto e : supported) names += std::string(names.empty() ? "" : ", ") + c10::toString(e);
  throw Error("int8: this LibTorch has no x86 quantized engine (x86, fbgemm or onednn); it has: " +
              (names.empty() ? std::string("none") : names));
}

int quantize_int8(SeqModel& model) {
  use_int8_engine();
  torch::NoGradGuard no_grad;
  model->to(torch::kCPU, torch::kFloat);
  int n = 0;
  for (auto& [name, d] : dense_layers(model)) {
    const auto w = d->weight.detach();
    const auto scales = (w.abs().amax({1}) / 127.0).clamp_min(1e-12);
    const auto q = torch::round(w / scales.unsqueeze(1)).clamp(-127, 127).to(torch::kChar);
    d->set_int8(q, scales);
    ++n;
  }
  return n;
}

void save_int8_weights(const SeqModel& model, const std::string& path) {
  const auto layers = dense_layers(model);
  torch::serialize::OutputArchive a;
  try {
    for (const auto& p : model->named_parameters())
      if (!is_dense_weight(layers, p.key())) a.write(p.key(), p.value().detach().to(torch::kCPU, torch::kFloat));
    for (const auto& [name, d] : layers) {
      if (!d->is_int8()) throw Error("cannot write int8 weights to " + path + ": " + name + " is not quantized");
      a.write(name + ".weight_int8", d->int8_weight());
      a.write(name + ".weight_scale", d->int8_scales());
    }
  } catch (const c10::Error& e) {
    throw Error("cannot write int8 weights to " + path + ": " + e.what_without_backtrace());
  }
  save_archive(a, path);
}

void load_int8_weights(SeqModel& model, const std::string& path) {
  use_int8_engine();
  torch::serialize::InputArchive a;
  try {
    a.load_from(path);
  } catch (const c10::Error& e) {
    throw Error("int8 weights file " + path + ": not a weights archive (" + e.what_without_backtrace() + ")");
  }
  torch::NoGradGuard no_grad;
  const auto layers = dense_layers(model);
  for (auto& p : model->named_parameters()) {
    if (is_dense_weight(layers, p.key())) continue;
    const auto t = read_tensor(a, p.key(), path);
    if (!t.sizes().equals(p.value().sizes()) || t.scalar_type() != torch::kFloat)
      throw Error("int8 weights file " + path + ": " + p.key() + " is " + c10::toString(t.scalar_type()) + " " +
                  c10::str(t.sizes()) + ", this model expects Float " + c10::str(p.value().sizes()));
    p.value().copy_(t);
  }
  for (auto& [name, d] : layers) {
    const auto q = read_tensor(a, name + ".weight_int8", path);
    const auto scales = read_tensor(a, name + ".weight_scale", path);
    try {
      d->set_int8(q, scales);
    } catch (const Error& e) {
      throw Error("int8 weights file " + path + ": " + name + ": " + e.what());
    }
  }
}

}  // namespace mctsnas::torchnas
