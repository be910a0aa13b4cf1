#pragma once
// Milliseconds of wall time since a steady-clock point: what latency and load
// measurements report.
#include <chrono>

namespace mctsnas {

using SteadyClock = std::chrono::steady_clock;

inline double ms_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

}  // namespace mctsnas
