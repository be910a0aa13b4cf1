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

template <class V> void bind_fields(V& v, OutputOptions& o) {
  v.field("root", o.root, config::non_empty());   // relative to the working directory
}

// The config's keys, section by section (app/config_loader.cpp reads and writes them).
// RunOptions::config_path is not a key: it records where the file came from.
template <class V> void bind_fields(V& v, RunOptions& o) {
  v.field("name", o.name, config::dir_name());
  v.field("seed", o.seed);
  v.field("space", o.space);
  v.field("task", o.task);
  v.field("train", o.train);
  v.field("search", o.search);
  v.field("objective", o.objective);
  v.field("resources", o.resources);
  v.field("output", o.output);
}

}  // namespace mctsnas
