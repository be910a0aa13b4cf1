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

TEST_CASE("json_integer takes JSON integers within the type's range and names anything else", "[trial_json]") {
  CHECK(json_integer<int>(nlohmann::json::parse("-7"), "t", "rank") == -7);
  CHECK(json_integer<uint64_t>(nlohmann::json::parse("18446744073709551615"), "t", "id") == UINT64_MAX);
  CHECK(json_integer<int64_t>(nlohmann::json::parse("-9223372036854775808"), "t", "x") == INT64_MIN);
  // The fuzzer's finding: a float past int's range read by get<int>() (UBSan).
  for (const char* bad : {"3.4e38", "2147483648", "-2147483649", "1.0", "true", "\"1\"", "null"}) {
    INFO(bad);
    CHECK_THROWS_WITH(json_integer<int>(nlohmann::json::parse(bad), "trials.jsonl:9", "rank"),
                      Catch::Contains("trials.jsonl:9: rank: expected an integer in [-2147483648, 2147483647], got"));
  }
  CHECK_THROWS_WITH(json_integer<uint64_t>(nlohmann::json::parse("-1"), "t", "id"), Catch::Contains("t: id: expected"));
}

TEST_CASE("a trial budget's integer fields are range-checked", "[trial_json]") {
  auto budget = nlohmann::json::parse(
      R"({"cpu_threads": 2, "cpu_set": [0, 1], "gpu": null, "gpu_mem_bytes": 0, "host_mem_bytes": 1024, "wall_seconds": 60})");
  CHECK(trial_budget_from_json(budget, "t").cpu_set == std::vector<int>{0, 1});
  for (const char* key : {"cpu_threads", "gpu", "gpu_mem_bytes"}) {
    INFO(key);
    auto bad = budget;
    bad[key] = 1.5e300;
    CHECK_THROWS_WITH(trial_budget_from_json(bad, "trials.jsonl:2"), Catch::Contains(std::string("trials.jsonl:2: ") + key));
  }
  auto bad = budget;
  bad["cpu_set"] = nlohmann::json::parse("[0, 9e99]");
  CHECK_THROWS_WITH(trial_budget_from_json(bad, "t"), Catch::Contains("t: cpu_set: expected"));
}
