// Hostile configs (issue 13): alias amplification is bounded, and space errors
// found by the config fuzzer carry file:line:column like every other key error.
#include <catch2/catch.hpp>

#include <string>

#include "app/config_loader.h"
#include "app/yaml_limits.h"

using namespace mctsnas;

namespace {

// One `choices` list of n labels, anchored once and aliased by `decisions` decisions.
std::string aliased_space(int n, int decisions) {
  std::string y = "name: x\nspace:\n  kind: categorical\n  categorical:\n    decisions:\n";
  y += "      - {name: d0, choices: &c [";
  for (int i = 0; i < n; ++i) y += (i ? ", " : "") + std::string("c") + std::to_string(i);
  y += "]}\n";
  for (int d = 1; d < decisions; ++d) y += "      - {name: d" + std::to_string(d) + ", choices: *c}\n";
  return y + "task: {kind: table, table: t.csv}\n";
}

}  // namespace

// Issue 13, defect 9: a 238 KB config grew past 8 GB.
TEST_CASE("9: a config whose aliases expand past the bound is refused before it is read", "[config_limits]") {
  const std::string y = aliased_space(20000, 2000);
  CHECK(y.size() < 300'000);
  CHECK_THROWS_WITH(load_config_text(y, "alias.yaml"),
                    Catch::StartsWith("alias.yaml:") && Catch::Contains("once its aliases (*name) are expanded"));
  // A modest use of aliases still loads.
  RunOptions o = load_config_text(aliased_space(5, 3), "ok.yaml");
  CHECK(o.space.categorical.decisions.size() == 3);
  CHECK(o.space.categorical.decisions[2].choices.size() == 5);
}

TEST_CASE("check_expanded_size counts aliased nodes as often as they are used", "[config_limits]") {
  YAML::Node n = YAML::Load("a: &x [1, 2, 3]\nb: *x\nc: *x\n");
  CHECK_NOTHROW(check_expanded_size(n, "f.yaml", 20));
  CHECK_THROWS_WITH(check_expanded_size(n, "f.yaml", 12), Catch::StartsWith("f.yaml:"));
}

TEST_CASE("messages: an empty choices list or separator names file:line:column", "[config_limits]") {
  auto space = [](const std::string& section) {
    return "name: x\nspace:\n  kind: categorical\n  categorical:\n" + section + "task: {kind: table, table: t.csv}\n";
  };
  CHECK_THROWS_WITH(load_config_text(space("    decisions:\n      - {name: a, choices: []}\n"), "c.yaml"),
                    Catch::StartsWith("c.yaml:6:") && Catch::Contains("choices"));
  CHECK_THROWS_WITH(
      load_config_text(space("    separator: \"\"\n    decisions:\n      - {name: a, choices: [p, q]}\n"), "s.yaml"),
      Catch::StartsWith("s.yaml:5:") && Catch::Contains("space.categorical.separator"));
}
