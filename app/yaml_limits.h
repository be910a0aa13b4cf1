#pragma once
// A bound on what a config may expand to. yaml-cpp keeps an alias (*name) as a
// reference to its anchor's node, but everything that reads the config (the
// loader's copies, the space) expands it: one 20,000-choice list aliased by 2,000
// decisions is 40 million labels from a 238 KB file. Counted before anything is
// read, with early exit, so the count itself stays cheap.
#include <cstddef>
#include <string>

#include <yaml-cpp/yaml.h>

namespace mctsnas {

// Nodes a config may hold once its aliases are expanded; far above any real space.
inline constexpr size_t kMaxConfigNodes = 1'000'000;

// Throws ConfigError "FILE:LINE:COLUMN: ..." (at the node where the count passes
// `max_nodes`) when `root` expands to more nodes than that.
void check_expanded_size(const YAML::Node& root, const std::string& file, size_t max_nodes = kMaxConfigNodes);

}  // namespace mctsnas
