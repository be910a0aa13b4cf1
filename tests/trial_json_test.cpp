// The JSON form of trials shared by trials.jsonl and the worker pipes: an
// architecture's choices are read only when every one is an integer 0..65535.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "evaluator/trial_json.h"

using namespace mctsnas;

TEST_CASE("choices_from_json takes integers 0..65535 and names anything else", "[trial_json]") {
  CHECK(choices_from_json(nlohmann::json::parse("[0, 3, 65535]"), "t") == std::vector<Choice>{0, 3, 65535});
  CHECK(choices_from_json(nlohmann::json::array(), "t").empty());
  // Found by fuzz/trial_log_fuzz.cpp under UBSan: 1.88889e+91 converted to uint16.
  for (const char* bad : {"[1.88889e+91]", "[65536]", "[-1]", "[1.5]", "[\"2\"]", "[null]", "{\"a\": 1}", "3"}) {
    INFO(bad);
    CHECK_THROWS_WITH(choices_from_json(nlohmann::json::parse(bad), "trials.jsonl:4"),
                      Catch::Contains("trials.jsonl:4: choices: expected"));
  }
}
