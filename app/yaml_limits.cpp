#include "app/yaml_limits.h"

#include <vector>

#include "app/config_loader.h"

namespace mctsnas {

void check_expanded_size(const YAML::Node& root, const std::string& file, size_t max_nodes) {
  // Iterative: a deep config must not overflow the stack here either.
  std::vector<YAML::Node> stack{root};
  size_t count = 0;
  while (!stack.empty()) {
    YAML::Node n = stack.back();
    stack.pop_back();
    if (++count > max_nodes) {
      const YAML::Mark m = n.Mark();
      std::string where = m.is_null() ? file : file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
      throw ConfigError(where + ": the config expands to more than " + std::to_string(max_nodes) +
                        " YAML nodes once its aliases (*name) are expanded; write the space out, or use fewer aliases");
    }
    if (n.IsSequence()) {
      for (const auto& c : n) stack.push_back(c);
    } else if (n.IsMap()) {
      for (const auto& kv : n) {
        stack.push_back(kv.first);
        stack.push_back(kv.second);
      }
    }
  }
}

}  // namespace mctsnas
