// libFuzzer target for the config loader (build: scripts/fuzz-config.sh).
// Properties checked on every input:
//  - load_config_text throws nothing but ConfigError, and its message is one line;
//  - a config that loads round-trips: resolved_yaml(o) loads again, to the same text.
// Lines "#set key.path=value" in the input (YAML comments to the loader) are also
// passed as --set overrides, so the override path is fuzzed too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/config_loader.h"
#include "common/strings.h"

using namespace mctsnas;

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "config_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void check_message(const ConfigError& e) {
  std::string m = e.what();
  if (m.empty() || m.find('\n') != std::string::npos || m.find('\r') != std::string::npos)
    fail("error message is not one line", m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<ConfigOverride> overrides;
  for (const std::string& line : split(text, '\n')) {
    if (line.rfind("#set ", 0) != 0) continue;
    try {
      overrides.push_back(parse_override(line.substr(5)));
    } catch (const ConfigError& e) {
      check_message(e);
    }
  }
  RunOptions o;
  try {
    o = load_config_text(text, "fuzz.yaml", overrides);
  } catch (const ConfigError& e) {
    check_message(e);
    return 0;
  }
  std::string y = resolved_yaml(o);
  try {
    RunOptions back = load_config_text(y, "resolved.yaml");
    if (resolved_yaml(back) != y) fail("resolved config does not round-trip", y);
  } catch (const ConfigError& e) {
    fail("resolved config does not load", std::string(e.what()) + "\n" + y);
  }
  return 0;
}
