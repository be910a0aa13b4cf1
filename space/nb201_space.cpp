#include "space/nb201_space.h"

#include "common/strings.h"

namespace mctsnas {
namespace {
const std::vector<std::string> kOpNames = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                           "avg_pool_3x3"};
}

Nb201Space::Nb201Space() {
  for (int e = 0; e < kEdges; ++e)
    decisions_.push_back(Decision{"edge_" + std::to_string(kEdgeTo[e]) + "_" + std::to_string(kEdgeFrom[e]),
                                  kOpNames});
}

std::string Nb201Space::key(const Architecture& a) const {
  std::string s = "|";
  for (int e = 0; e < kEdges; ++e) {
    if (e == 1 || e == 3) s += "+|";
    s += kOpNames.at(a.choices.at(e)) + "~" + std::to_string(kEdgeFrom[e]) + "|";
  }
  return s;
}

std::optional<Architecture> Nb201Space::parse_key(std::string_view key) const {
  // |op~0|+|op~0|op~1|+|op~0|op~1|op~2|
  auto groups = split(key, '+');
  if (groups.size() != 3) return std::nullopt;
  Architecture a;
  int e = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string& grp = groups[g];
    if (grp.size() < 2 || grp.front() != '|' || grp.back() != '|') return std::nullopt;
    auto items = split(std::string_view(grp).substr(1, grp.size() - 2), '|');
    if (items.size() != g + 1) return std::nullopt;
    for (const auto& item : items) {
      auto parts = split(item, '~');
      if (parts.size() != 2 || parts[1] != std::to_string(kEdgeFrom[e])) return std::nullopt;
      int op = -1;
      for (int o = 0; o < kOps; ++o)
        if (kOpNames[o] == parts[0]) op = o;
      if (op < 0) return std::nullopt;
      a.choices.push_back(static_cast<Choice>(op));
      ++e;
    }
  }
  return a;
}

std::string Nb201Space::canonical_string(const Architecture& a) const {
  // TODO(nb201 canonical): placeholder until the canonical form lands.
  return key(a);
}

uint64_t Nb201Space::canonical_hash(const Architecture& a) const {
  std::string s = canonical_string(a);
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = hash_combine(h, c);
  return h;
}

SpaceSize Nb201Space::size() const { return SpaceSize{15625, true, 6466}; }

}  // namespace mctsnas
