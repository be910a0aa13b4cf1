#pragma once
// What a running search shows: on a terminal one line redrawn in place (trials
// done/total, best so far, rate, ETA); otherwise plain lines — one per new best and
// one every few seconds — that read well in a log file.
#include <iosfwd>
#include <optional>
#include <string>

namespace mctsnas {

struct ProgressState {
  int64_t done = 0;
  int64_t total = 0;
  int64_t failed = 0;
  std::optional<double> best;
  std::optional<uint64_t> best_id;
  double elapsed = 0;      // seconds in this process
  int64_t done_here = 0;   // trials finished in this process (for the rate)
};

class Progress {
 public:
  Progress(std::ostream& out, bool tty) : out_(out), tty_(tty) {}
  void update(const ProgressState& s, bool new_best);
  void finish();  // ends the in-place line

 private:
  std::string render(const ProgressState& s) const;
  std::ostream& out_;
  bool tty_;
  double last_print_ = -1e9;
  bool line_open_ = false;
};

}  // namespace mctsnas
