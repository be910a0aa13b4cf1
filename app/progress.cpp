#include "app/progress.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

#include "common/strings.h"

namespace mctsnas {

namespace {

constexpr size_t kWindow = 10;   // trials the rate is measured over

std::string rate_text(double per_second) {
  char buf[64];
  if (per_second >= 1)
    std::snprintf(buf, sizeof buf, "%.1f trials/s", per_second);
  else if (per_second > 0)
    std::snprintf(buf, sizeof buf, "%.1f trials/min", per_second * 60);
  else
    return "- trials/s";
  return buf;
}

std::string running_text(const std::vector<RunningTrial>& running) {
  constexpr size_t kShown = 3;
  std::string out;
  for (size_t i = 0; i < running.size() && i < kShown; ++i)
    out += (i ? ", " : "") + running[i].name + " " + format_duration(running[i].seconds);
  if (running.size() > kShown) out += ", +" + std::to_string(running.size() - kShown);
  return out;
}

}  // namespace

void Progress::record(const ProgressState& s) {
  if (recent_.empty() || s.done > recent_.back().done) recent_.push_back({s.elapsed, s.done});
  while (recent_.size() > kWindow + 1) recent_.pop_front();
}

double Progress::eta(const ProgressState& s) const {
  for (const auto& r : s.running)
    if (r.name == "baseline") return s.typical_trial_seconds > 0 ? std::max(0.0, s.typical_trial_seconds - r.seconds) : -1;
  const double baseline = s.baseline_pending ? s.typical_trial_seconds : 0;
  const int64_t remaining = std::max<int64_t>(0, s.total - s.done);
  if (remaining == 0) return baseline;
  if (recent_.size() < 2 || s.elapsed <= recent_.front().elapsed) return -1;
  const double rate = static_cast<double>(recent_.back().done - recent_.front().done) / (s.elapsed - recent_.front().elapsed);
  return static_cast<double>(remaining) / rate + baseline;
}

std::string Progress::render(const ProgressState& s) const {
  char buf[64];
  std::string best = "-";
  if (s.best) {
    std::snprintf(buf, sizeof buf, "%.6g (#%llu)", *s.best, static_cast<unsigned long long>(*s.best_id));
    best = buf;
  }
  double rate = 0;
  if (recent_.size() >= 2 && s.elapsed > recent_.front().elapsed)
    rate = static_cast<double>(recent_.back().done - recent_.front().done) / (s.elapsed - recent_.front().elapsed);
  std::string line = "trials " + std::to_string(s.done) + "/" + std::to_string(s.total) + " | best " + best +
                     " | failed " + std::to_string(s.failed) + " | " + rate_text(rate);
  if (!s.running.empty()) line += " | running " + running_text(s.running);
  const double left = eta(s);
  return line + " | ETA " + (left >= 0 ? format_duration(left) : std::string("-"));
}

void Progress::update(const ProgressState& s, bool new_best) {
  record(s);
  if (tty_) {
    // Redraw at most ~10 times a second.
    if (s.elapsed - last_print_ < 0.1 && s.done != s.total) return;
    last_print_ = s.elapsed;
    out_ << "\r\033[K" << render(s) << std::flush;
    line_open_ = true;
    return;
  }
  // A log file: a line per new best, every 5 s while trials finish, every 30 s while they train.
  const double gap = s.done != last_printed_done_ ? 5.0 : 30.0;
  if (!new_best && s.elapsed - last_print_ < gap) return;
  last_print_ = s.elapsed;
  last_printed_done_ = s.done;
  out_ << render(s) << (new_best ? "  (new best)" : "") << '\n' << std::flush;
}

void Progress::finish() {
  if (line_open_) out_ << '\n';
  line_open_ = false;
}

}  // namespace mctsnas
