#pragma once
// What a running search shows: on a terminal one line redrawn in place (trials
// done/total, best so far, rate, the trials in flight with their time so far, ETA);
// otherwise plain lines — one per new best, one every few seconds while trials
// finish, one every half minute while they train — that read well in a log file.
#include <deque>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace mctsnas {

struct RunningTrial {
  std::string name;        // "#17" (the trial id) or "baseline"
  double seconds = 0;      // since it was submitted
};

struct ProgressState {
  int64_t done = 0;
  int64_t total = 0;       // the target, or the space's size when smaller
  int64_t failed = 0;
  std::optional<double> best;
  std::optional<uint64_t> best_id;
  double elapsed = 0;      // seconds in this process
  std::vector<RunningTrial> running;   // in flight, oldest first
  double typical_trial_seconds = 0;    // mean duration of recent trials (0: none yet)
  bool baseline_pending = false;       // a reference model trains after the trials
};

class Progress {
 public:
  Progress(std::ostream& out, bool tty) : out_(out), tty_(tty) {}
  void update(const ProgressState& s, bool new_best);
  void finish();  // ends the in-place line

  // Seconds left: the remaining trials at the rate of the last few to finish (a
  // stalled run's rate decays), plus the baseline at a typical trial's duration.
  // Negative: unknown (nothing finished yet).
  double eta(const ProgressState& s) const;
  std::string render(const ProgressState& s) const;

 private:
  struct Point {
    double elapsed;
    int64_t done;
  };
  void record(const ProgressState& s);
  std::ostream& out_;
  bool tty_;
  double last_print_ = -1e9;
  int64_t last_printed_done_ = -1;
  bool line_open_ = false;
  std::deque<Point> recent_;   // (time, done) when done last grew; the first is the start
};

}  // namespace mctsnas
