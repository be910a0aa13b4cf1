#pragma once
// A whole config file, parsed and validated: one struct per section.
#include <cstdint>
#include <filesystem>
#include <string>

#include "evaluator/task_options.h"
#include "runtime/resource_options.h"
#include "search/search_options.h"
#include "space/space_options.h"

namespace mctsnas {

struct OutputOptions {
  std::string root = "results";   // run directories go under here
};

struct RunOptions {
  std::string name = "run";
  uint64_t seed = 0;
  SpaceOptions space;
  TaskOptions task;
  TrainOptions train;
  SearchOptions search;
  ObjectiveOptions objective;
  ResourceOptions resources;
  OutputOptions output;
  std::filesystem::path config_path;  // where it was loaded from (relative paths resolve here)
};

}  // namespace mctsnas
