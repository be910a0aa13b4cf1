// The progress line: the trials in flight, the rate and ETA from recent trials, the baseline.
#include <catch2/catch.hpp>

#include <sstream>

#include "app/progress.h"

using namespace mctsnas;

namespace {

ProgressState at(double elapsed, int64_t done, int64_t total) {
  ProgressState s;
  s.elapsed = elapsed;
  s.done = done;
  s.total = total;
  return s;
}

}  // namespace

TEST_CASE("ETA: unknown before the first trial, then from the recent rate", "[progress]") {
  std::ostringstream out;
  Progress p(out, false);
  ProgressState s = at(0, 0, 10);
  p.update(s, false);
  CHECK(p.eta(s) < 0);
  CHECK_THAT(p.render(s), Catch::EndsWith("ETA -"));
  s = at(10, 1, 10);   // one trial in 10 s: 9 left at 0.1/s
  p.update(s, false);
  CHECK(p.eta(s) == Approx(90));
  s = at(20, 2, 10);
  p.update(s, false);
  CHECK(p.eta(s) == Approx(80));
  // Nothing finishes for a while: the rate decays and the ETA grows, not freezes.
  s = at(60, 2, 10);
  CHECK(p.eta(s) == Approx(8 / (2.0 / 60)));
}

TEST_CASE("ETA: only the last ten trials set the rate", "[progress]") {
  std::ostringstream out;
  Progress p(out, false);
  p.update(at(0, 0, 100), false);
  for (int i = 1; i <= 20; ++i) p.update(at(i * 100.0, i, 100), false);   // slow trials first
  for (int i = 21; i <= 40; ++i) p.update(at(2000 + (i - 20) * 1.0, i, 100), false);   // then 1 s each
  CHECK(p.eta(at(2020, 40, 100)) == Approx(60));
}

TEST_CASE("ETA includes the reference baseline, and counts it down while it trains", "[progress]") {
  std::ostringstream out;
  Progress p(out, false);
  ProgressState s = at(0, 0, 2);
  s.baseline_pending = true;
  s.typical_trial_seconds = 30;
  p.update(s, false);
  s.elapsed = 30;
  s.done = 1;
  p.update(s, false);
  CHECK(p.eta(s) == Approx(30 + 30));
  s.elapsed = 60;
  s.done = 2;
  p.update(s, false);
  CHECK(p.eta(s) == Approx(30));   // all trials done, the baseline still to train
  s.baseline_pending = false;
  s.running = {{"baseline", 12}};
  CHECK(p.eta(s) == Approx(18));
  CHECK_THAT(p.render(s), Catch::Contains("running baseline 12.0s"));
}

TEST_CASE("the progress line shows the trials in flight with their time so far", "[progress]") {
  std::ostringstream out;
  Progress p(out, false);
  ProgressState s = at(40, 3, 10);
  s.best = 0.25;
  s.best_id = 2;
  s.running = {{"#3", 32}, {"#4", 5}, {"#5", 1}, {"#6", 0.5}};
  const std::string line = p.render(s);
  CHECK_THAT(line, Catch::StartsWith("trials 3/10 | best 0.25 (#2) | failed 0 | "));
  CHECK_THAT(line, Catch::Contains("running #3 32.0s, #4 5.0s, #5 1.0s, +1"));
}

TEST_CASE("in a log file: a line per new best, and a heartbeat while trials train", "[progress]") {
  std::ostringstream out;
  Progress p(out, false);
  p.update(at(0, 0, 10), true);
  p.update(at(3, 0, 10), false);    // nothing new, too soon
  p.update(at(29, 0, 10), false);   // nothing new: waits for the half-minute heartbeat
  p.update(at(31, 0, 10), false);
  p.update(at(32, 1, 10), false);   // a trial finished, but within 5 s of the last line
  p.update(at(37, 2, 10), false);
  std::istringstream lines(out.str());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) ++n;
  CHECK(n == 3);
}
