#include "app/progress.h"

#include <cstdio>
#include <ostream>

#include "common/strings.h"

namespace mctsnas {

std::string Progress::render(const ProgressState& s) const {
  char buf[256];
  double rate = s.elapsed > 0 ? static_cast<double>(s.done_here) / s.elapsed : 0;
  double eta = rate > 0 ? static_cast<double>(s.total - s.done) / rate : -1;
  std::string best = s.best ? std::to_string(*s.best) : std::string("-");
  if (s.best) {
    std::snprintf(buf, sizeof buf, "%.6g (#%llu)", *s.best, static_cast<unsigned long long>(*s.best_id));
    best = buf;
  }
  std::string rate_s;
  if (rate >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f trials/s", rate);
    rate_s = buf;
  } else if (rate > 0) {
    std::snprintf(buf, sizeof buf, "%.1f trials/min", rate * 60);
    rate_s = buf;
  } else {
    rate_s = "- trials/s";
  }
  std::snprintf(buf, sizeof buf, "trials %lld/%lld | best %s | failed %lld | %s | ETA %s",
                static_cast<long long>(s.done), static_cast<long long>(s.total), best.c_str(),
                static_cast<long long>(s.failed), rate_s.c_str(), eta >= 0 ? format_duration(eta).c_str() : "-");
  return buf;
}

void Progress::update(const ProgressState& s, bool new_best) {
  if (tty_) {
    // Redraw at most ~10 times a second.
    if (s.elapsed - last_print_ < 0.1 && s.done != s.total) return;
    last_print_ = s.elapsed;
    out_ << "\r\033[K" << render(s) << std::flush;
    line_open_ = true;
    return;
  }
  if (!new_best && s.elapsed - last_print_ < 5.0) return;
  last_print_ = s.elapsed;
  out_ << render(s) << (new_best ? "  (new best)" : "") << '\n' << std::flush;
}

void Progress::finish() {
  if (line_open_) out_ << '\n';
  line_open_ = false;
}

}  // namespace mctsnas
