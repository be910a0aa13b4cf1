#include <catch2/catch.hpp>

#include <set>

#include "common/error.h"
#include "space/categorical_space.h"
#include "space/space_options.h"

using namespace mctsnas;

namespace {

CategoricalSpaceOptions three_decisions(std::string sep = "-") {
  CategoricalSpaceOptions o;
  o.decisions = {{"op", {"conv3", "conv5", "glu"}}, {"width", {"64", "128"}}, {"act", {"relu", "gelu", "silu", "tanh"}}};
  o.separator = std::move(sep);
  return o;
}

std::string construct_error(const CategoricalSpaceOptions& o) {
  try {
    CategoricalSpace s(o);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("Categorical space: decisions, size, keys and round trip", "[categorical]") {
  CategoricalSpace space(three_decisions());
  REQUIRE(space.kind() == "categorical");
  REQUIRE(space.num_decisions() == 3);
  REQUIRE(space.decision(1).name == "width");
  REQUIRE(space.decision(2).choices.size() == 4);
  REQUIRE(space.size().count == 24);
  REQUIRE(space.size().exact);

  Architecture a{{2, 1, 0}};
  REQUIRE(space.key(a) == "glu-128-relu");
  REQUIRE(space.parse_key("glu-128-relu") == a);

  // Every architecture: distinct keys that parse back to it.
  std::set<std::string> keys;
  for (Choice x = 0; x < 3; ++x)
    for (Choice y = 0; y < 2; ++y)
      for (Choice z = 0; z < 4; ++z) {
        Architecture b{{x, y, z}};
        REQUIRE(space.is_legal(b));
        keys.insert(space.key(b));
        REQUIRE(space.parse_key(space.key(b)) == b);
      }
  REQUIRE(keys.size() == 24);

  // One-edit neighbours: (3-1) + (2-1) + (4-1).
  REQUIRE(space.neighbours(a).size() == 6);
}

TEST_CASE("Categorical space: a configurable, multi-character separator", "[categorical]") {
  CategoricalSpace space(three_decisions(" | "));
  Architecture a{{0, 1, 3}};
  REQUIRE(space.key(a) == "conv3 | 128 | tanh");
  REQUIRE(space.parse_key("conv3 | 128 | tanh") == a);
  REQUIRE_FALSE(space.parse_key("conv3-128-tanh"));

  // A label may hold characters of the separator as long as keys stay unambiguous.
  CategoricalSpace dashed(CategoricalSpaceOptions{{{"a", {"x-y", "z"}}, {"b", {"p-q", "r"}}}, "/"});
  REQUIRE(dashed.key(Architecture{{0, 0}}) == "x-y/p-q");
  REQUIRE(dashed.parse_key("x-y/p-q") == Architecture{{0, 0}});
}

TEST_CASE("Categorical space: parse_key rejects malformed keys", "[categorical]") {
  CategoricalSpace space(three_decisions());
  for (const std::string bad : {"", "glu", "glu-128", "glu-128-relu-", "glu-128-relu-relu", "-glu-128-relu",
                                "glu--128-relu", "glu-256-relu", "GLU-128-relu", "relu-128-glu", "glu-128-relu "}) {
    INFO(bad);
    REQUIRE_FALSE(space.parse_key(bad));
  }
}

TEST_CASE("Categorical space: one decision, one choice is a legal (tiny) space", "[categorical]") {
  CategoricalSpaceOptions o;
  o.decisions = {{"only", {"x"}}};
  CategoricalSpace space(o);
  REQUIRE(space.key(Architecture{{0}}) == "x");
  REQUIRE(space.parse_key("x") == Architecture{{0}});
  REQUIRE(space.neighbours(Architecture{{0}}).empty());
}

TEST_CASE("Categorical space: bad options are one-line errors naming the config key", "[categorical]") {
  SECTION("no decisions") {
    CategoricalSpaceOptions o;
    REQUIRE(construct_error(o) ==
            "space.categorical.decisions: a categorical space needs at least one decision (name + choices)");
  }
  SECTION("empty choice list") {
    auto o = three_decisions();
    o.decisions[1].choices.clear();
    REQUIRE(construct_error(o) == "space.categorical.decisions[1].choices: decision 'width' needs at least one choice");
  }
  SECTION("duplicate decision name") {
    auto o = three_decisions();
    o.decisions[2].name = "op";
    REQUIRE(construct_error(o) == "space.categorical.decisions[2].name: decision name 'op' is used twice");
  }
  SECTION("empty decision name") {
    auto o = three_decisions();
    o.decisions[0].name = "";
    REQUIRE(construct_error(o) == "space.categorical.decisions[0].name: must not be empty");
  }
  SECTION("duplicate label") {
    auto o = three_decisions();
    o.decisions[2].choices[3] = "gelu";
    REQUIRE(construct_error(o) ==
            "space.categorical.decisions[2].choices[3]: label 'gelu' appears twice in decision 'act'");
  }
  SECTION("empty label") {
    auto o = three_decisions();
    o.decisions[1].choices[0] = "";
    REQUIRE(construct_error(o) ==
            "space.categorical.decisions[1].choices[0]: choice labels of decision 'width' must not be empty");
  }
  SECTION("separator inside a label") {
    auto o = three_decisions();
    o.decisions[0].choices[1] = "conv-5";
    REQUIRE(construct_error(o) ==
            "space.categorical.decisions[0].choices[1]: label 'conv-5' contains the separator '-', so architecture "
            "keys would be ambiguous (set space.categorical.separator to another string)");
  }
  SECTION("label overlapping a multi-character separator") {
    auto o = three_decisions("--");
    o.decisions[0].choices[0] = "conv3-";
    REQUIRE(construct_error(o) ==
            "space.categorical.decisions[0].choices[0]: label 'conv3-' begins or ends with part of the separator "
            "'--', so architecture keys would be ambiguous (set space.categorical.separator to another string)");
  }
  SECTION("empty separator") {
    REQUIRE(construct_error(three_decisions("")) ==
            "space.categorical.separator: must not be empty (it separates the labels in an architecture key)");
  }
}

TEST_CASE("make_space builds the categorical kind", "[categorical]") {
  SpaceOptions o;
  o.kind = SpaceKind::categorical;
  o.categorical = three_decisions("_");
  auto space = make_space(o);
  REQUIRE(space->kind() == "categorical");
  REQUIRE(space->key(Architecture{{1, 0, 2}}) == "conv5_64_silu");
  o.categorical.decisions.clear();
  REQUIRE_THROWS_AS(make_space(o), Error);
}
