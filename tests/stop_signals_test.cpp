#include <catch2/catch.hpp>

#include <csignal>

#include "runtime/stop_signals.h"

using namespace mctsnas;

TEST_CASE("StopSignals: first signal requests a stop, second one an immediate stop", "[stop_signals]") {
  StopSignals::install();
  StopSignals::reset();
  CHECK_FALSE(StopSignals::requested());
  std::raise(SIGTERM);
  CHECK(StopSignals::requested());
  CHECK(StopSignals::stop_flag()->load());
  CHECK_FALSE(StopSignals::immediate());
  CHECK(StopSignals::last_signal() == SIGTERM);
  std::raise(SIGINT);
  CHECK(StopSignals::immediate());
  CHECK(StopSignals::stop_now_flag()->load());
  CHECK(StopSignals::count() == 2);
  StopSignals::reset();
  CHECK_FALSE(StopSignals::requested());
  StopSignals::uninstall();
}
