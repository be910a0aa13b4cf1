#include "space/ops.h"

#include "common/error.h"
#include "common/strings.h"

namespace mctsnas {

const OpKind* find_op_kind(std::string_view name) {
  for (const OpKind& k : op_kinds())
    if (k.name == name) return &k;
  return nullptr;
}

// An op name is [causal_]<kind name><parameters>. A kind whose name is a prefix of
// the rest is tried in table order; the first whose parameters parse to the end wins.
std::optional<OpSpec> parse_op(std::string_view name) {
  constexpr std::string_view kCausal = "causal_";
  const bool causal = name.starts_with(kCausal);
  if (causal) name.remove_prefix(kCausal.size());
  for (const OpKind& k : op_kinds()) {
    if (!name.starts_with(k.name) || (causal && !k.sequence)) continue;
    OpSpec op;
    op.kind = &k;
    op.causal = causal;
    std::string_view rest = name.substr(k.name.size());
    if (!k.parse(rest, op) || !rest.empty()) continue;
    op.name = (causal ? std::string(kCausal) : std::string()) + std::string(k.name) + k.format(op);
    return op;
  }
  return std::nullopt;
}

const std::vector<std::string>& op_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    auto add = [&out](const OpKind& k, const std::string& prefix) {
      for (const auto& e : split(k.examples, ' ')) out.push_back(prefix + e);
    };
    for (const char* prefix : {"", "causal_"})
      for (const OpKind& k : op_kinds())
        if (k.sequence) add(k, prefix);
    for (const OpKind& k : op_kinds())
      if (!k.sequence) add(k, "");
    return out;
  }();
  return names;
}

std::string op_syntax() {
  std::string s;
  auto add = [&s](std::string_view part) { s += (s.empty() ? "" : ", ") + std::string(part); };
  for (const OpKind& k : op_kinds())
    if (k.sequence) add(k.syntax);
  add("their causal_ variants");
  for (const OpKind& k : op_kinds())
    if (!k.sequence) add(k.syntax);
  return s;
}

double op_flops(const OpSpec& spec, int64_t d_model, int64_t t, int64_t s) {
  MCTSNAS_CHECK(spec.kind != nullptr, "op_flops: op '" + spec.name + "' has no kind");
  return spec.kind->flops(spec, d_model, t, s);
}

int64_t op_params(const OpSpec& spec, int64_t d_model) {
  MCTSNAS_CHECK(spec.kind != nullptr, "op_params: op '" + spec.name + "' has no kind");
  return spec.kind->params(spec, d_model);
}

}  // namespace mctsnas
