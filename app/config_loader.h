#pragma once
// Loading a config file into RunOptions: strict (every key checked, one-line errors
// that name the file, line, column and key path), with `--set key.path=value`
// overrides that go through the same checks.
#include <filesystem>
#include <string>
#include <vector>

#include "app/run_options.h"
#include "common/error.h"

namespace mctsnas {

// Bad config: the message is one line, "FILE:LINE:COL: key.path: what is wrong"
// (or "--set key.path=value: key.path: ..." when an override is at fault).
class ConfigError : public Error {
 public:
  using Error::Error;
};

struct ConfigOverride {
  std::string path;    // "search.mcts.exploration"; a list element is a number: "a.0.b"
  std::string value;   // YAML text: "0.5", "[64, 128]", "" (empty string)
};

// Parses `--set` text "key.path=value"; throws ConfigError on a malformed one.
ConfigOverride parse_override(const std::string& text);

// Loads, applies overrides, validates every key; throws ConfigError. Relative paths
// (task.table, task.data) resolve against the file's directory, those given by an
// override against the working directory; the result holds them absolute.
RunOptions load_config(const std::filesystem::path& file,
                       const std::vector<ConfigOverride>& overrides = {});

// Same from text; `filename` is only used in messages and config_path, and relative
// paths are left as written. Never throws anything but ConfigError on bad input.
RunOptions load_config_text(const std::string& yaml, const std::string& filename,
                            const std::vector<ConfigOverride>& overrides = {});

// The config with every default filled in, in the schema's key order. For any `o`
// the loaders returned, loading it gives back the same options (config_path aside):
// load_config_text(resolved_yaml(o), f) == o.
std::string resolved_yaml(const RunOptions& o);

}  // namespace mctsnas
