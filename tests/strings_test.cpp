// common/strings.h: the hex encoding that carries binary files in JSON messages.
#include <catch2/catch.hpp>

#include "common/strings.h"

using namespace mctsnas;

TEST_CASE("to_hex and from_hex round-trip every byte; bad hex is nullopt", "[strings]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const auto hex = to_hex(all);
  CHECK(hex.size() == 512);
  CHECK(hex.substr(0, 6) == "000102");
  CHECK(hex.substr(506) == "fdfeff");
  CHECK(from_hex(hex) == all);
  CHECK(from_hex("") == std::string());
  CHECK_FALSE(from_hex("abc").has_value());    // odd length
  CHECK_FALSE(from_hex("0g").has_value());     // not a digit
  CHECK_FALSE(from_hex("AB").has_value());     // to_hex writes lower case only
}
