#include "app/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace mctsnas {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Pixel coordinates with one decimal: enough for a screen, short in the file.
std::string px(double v) { return fmt("%.1f", v); }

// Tick steps a reader expects on a time axis, in seconds.
constexpr double kTimeSteps[] = {1,    2,    5,    10,   15,    30,    60,    120,   300,
                                 600,  900,  1800, 3600, 7200,  10800, 21600, 43200, 86400,
                                 172800, 432000, 864000};

double nice_step(double range, int target, TickFormat f) {
  double raw = range / std::max(1, target);
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  if (f == TickFormat::duration && raw >= 1) {
    for (double s : kTimeSteps)
      if (s >= raw) return s;
  }
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double n = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return n * mag;
}

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double p0 = 0, p1 = 1;   // pixel positions of lo and hi
  std::vector<double> ticks;

  double map(double v) const {
    double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                   : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
};

Axis make_axis(std::vector<double> values, bool log, double p0, double p1, TickFormat f,
               int target_ticks) {
  Axis a;
  a.p0 = p0;
  a.p1 = p1;
  a.log = log;
  values.erase(std::remove_if(values.begin(), values.end(),
                              [log](double v) { return !std::isfinite(v) || (log && v <= 0); }),
               values.end());
  if (values.empty()) values = log ? std::vector<double>{1, 10} : std::vector<double>{0, 1};
  double mn = *std::min_element(values.begin(), values.end());
  double mx = *std::max_element(values.begin(), values.end());
  if (log) {
    int d0 = static_cast<int>(std::floor(std::log10(mn)));
    int d1 = static_cast<int>(std::ceil(std::log10(mx)));
    if (d1 == d0) ++d1;
    a.lo = std::pow(10.0, d0);
    a.hi = std::pow(10.0, d1);
    for (int d = d0; d <= d1; ++d) {
      double base = std::pow(10.0, d);
      a.ticks.push_back(base);
      if (d1 - d0 <= 2 && d < d1) {
        a.ticks.push_back(2 * base);
        a.ticks.push_back(5 * base);
      }
    }
    return a;
  }
  if (mx == mn) {
    double pad = mn == 0 ? 1 : std::abs(mn) * 0.1;
    mn -= pad;
    mx += pad;
  }
  double step = nice_step(mx - mn, target_ticks, f);
  a.lo = std::floor(mn / step) * step;
  a.hi = std::ceil(mx / step) * step;
  if (a.hi <= a.lo) a.hi = a.lo + step;
  for (double t = a.lo; t <= a.hi + step * 1e-9; t += step)
    a.ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return a;
}

std::string tick_text(double v, const Axis& a, TickFormat f) {
  if (f != TickFormat::number || a.log) return format_value(v, f);
  double step = a.ticks.size() > 1 ? a.ticks[1] - a.ticks[0] : 1;
  double biggest = std::max(std::abs(a.lo), std::abs(a.hi));
  if (biggest >= 1e4) return format_value(v, TickFormat::si);
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 8), v);
  return buf;
}

std::string title_tag(const std::string& tooltip) {
  return tooltip.empty() ? std::string() : "<title>" + html_escape(tooltip) + "</title>";
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in XML text; show them as a space.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

std::string format_value(double v, TickFormat f) {
  if (!std::isfinite(v)) return "n/a";
  if (f == TickFormat::duration) {
    if (v < 60) return fmt("%gs", std::round(v * 10) / 10);
    long s = std::lround(v);
    if (s < 3600) return std::to_string(s / 60) + "m" + (s % 60 ? std::to_string(s % 60) + "s" : "");
    long m = s / 60;
    if (m < 48 * 60) return std::to_string(m / 60) + "h" + (m % 60 ? std::to_string(m % 60) + "m" : "");
    return std::to_string(m / 1440) + "d" + ((m / 60) % 24 ? std::to_string((m / 60) % 24) + "h" : "");
  }
  double a = std::abs(v);
  if (f == TickFormat::si || a >= 1e5) {
    if (a >= 1e12) return fmt("%.3gT", v / 1e12);
    if (a >= 1e9) return fmt("%.3gG", v / 1e9);
    if (a >= 1e6) return fmt("%.3gM", v / 1e6);
    if (a >= 1e3) return fmt("%.3gk", v / 1e3);
  }
  return fmt("%.4g", v);
}

bool wants_log_axis(const std::vector<double>& values) {
  double mn = std::numeric_limits<double>::infinity(), mx = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v <= 0) return false;
    mn = std::min(mn, v);
    mx = std::max(mx, v);
  }
  return std::isfinite(mn) && mx / mn > 20;
}

std::string render_plot(const PlotOptions& o, const std::vector<PlotSeries>& series) {
  const double left = 72, right = o.width - 18, top = 34, bottom = o.height - 46;
  std::vector<double> xs, ys;
  for (const auto& s : series)
    for (const auto& p : s.points) {
      if (s.kind != PlotSeries::Kind::hline) xs.push_back(p.x);
      ys.push_back(p.y);
    }
  Axis ax = make_axis(xs, o.x_log, left, right, o.x_format, 6);
  Axis ay = make_axis(ys, false, bottom, top, o.y_format, 5);

  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"" + html_escape(o.id) +
       "\" width=\"" + std::to_string(o.width) + "\" height=\"" + std::to_string(o.height) +
       "\" viewBox=\"0 0 " + std::to_string(o.width) + " " + std::to_string(o.height) +
       "\" role=\"img\" aria-label=\"" + html_escape(o.y_label + " vs " + o.x_label) + "\">\n";
  s += "<rect class=\"area\" x=\"" + px(left) + "\" y=\"" + px(top) + "\" width=\"" + px(right - left) +
       "\" height=\"" + px(bottom - top) + "\"/>\n";
  for (double t : ax.ticks) {
    double x = ax.map(t);
    s += "<line class=\"grid\" x1=\"" + px(x) + "\" y1=\"" + px(top) + "\" x2=\"" + px(x) + "\" y2=\"" +
         px(bottom) + "\"/>";
    s += "<text class=\"tick\" x=\"" + px(x) + "\" y=\"" + px(bottom + 15) + "\" text-anchor=\"middle\">" +
         html_escape(tick_text(t, ax, o.x_format)) + "</text>\n";
  }
  for (double t : ay.ticks) {
    double y = ay.map(t);
    s += "<line class=\"grid\" x1=\"" + px(left) + "\" y1=\"" + px(y) + "\" x2=\"" + px(right) + "\" y2=\"" +
         px(y) + "\"/>";
    s += "<text class=\"tick\" x=\"" + px(left - 6) + "\" y=\"" + px(y + 4) + "\" text-anchor=\"end\">" +
         html_escape(tick_text(t, ay, o.y_format)) + "</text>\n";
  }
  s += "<text class=\"axis-label\" x=\"" + px((left + right) / 2) + "\" y=\"" + px(o.height - 8) +
       "\" text-anchor=\"middle\">" + html_escape(o.x_label + (o.x_log ? " (log scale)" : "")) + "</text>\n";
  s += "<text class=\"axis-label\" transform=\"translate(14," + px((top + bottom) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(o.y_label) + "</text>\n";

  auto ok_x = [&](double x) { return std::isfinite(x) && (!o.x_log || x > 0); };
  for (const auto& ser : series) {
    const std::string cls = html_escape(ser.css_class);
    switch (ser.kind) {
      case PlotSeries::Kind::hline: {
        if (ser.points.empty() || !std::isfinite(ser.points[0].y)) break;
        double y = ay.map(ser.points[0].y);
        s += "<line class=\"" + cls + "\" x1=\"" + px(left) + "\" y1=\"" + px(y) + "\" x2=\"" + px(right) +
             "\" y2=\"" + px(y) + "\">" + title_tag(ser.points[0].tooltip) + "</line>\n";
        break;
      }
      case PlotSeries::Kind::step:
      case PlotSeries::Kind::line: {
        std::string d;
        double prev_y = 0;
        for (const auto& p : ser.points) {
          if (!ok_x(p.x) || !std::isfinite(p.y)) continue;
          double x = ax.map(p.x), y = ay.map(p.y);
          if (d.empty()) {
            d = "M" + px(x) + " " + px(y);
          } else if (ser.kind == PlotSeries::Kind::step) {
            d += " H" + px(x) + " V" + px(y);
          } else {
            d += " L" + px(x) + " " + px(y);
          }
          prev_y = y;
        }
        (void)prev_y;
        if (!d.empty()) s += "<path class=\"" + cls + "\" d=\"" + d + "\"/>\n";
        break;
      }
      case PlotSeries::Kind::points:
      case PlotSeries::Kind::diamonds: {
        for (const auto& p : ser.points) {
          if (!ok_x(p.x) || !std::isfinite(p.y)) continue;
          double x = ax.map(p.x), y = ay.map(p.y), r = ser.radius;
          if (ser.kind == PlotSeries::Kind::points) {
            s += "<circle class=\"" + cls + "\" cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"" + px(r) +
                 "\">" + title_tag(p.tooltip) + "</circle>";
          } else {
            s += "<path class=\"" + cls + "\" d=\"M" + px(x) + " " + px(y - r) + " L" + px(x + r) + " " +
                 px(y) + " L" + px(x) + " " + px(y + r) + " L" + px(x - r) + " " + px(y) + " Z\">" +
                 title_tag(p.tooltip) + "</path>";
          }
        }
        s += "\n";
        break;
      }
    }
  }

  // Legend: one row above the plot area.
  double lx = left;
  for (const auto& ser : series) {
    if (ser.label.empty()) continue;
    const std::string cls = html_escape(ser.css_class);
    const double ly = 16;
    switch (ser.kind) {
      case PlotSeries::Kind::points:
        s += "<circle class=\"" + cls + "\" cx=\"" + px(lx + 6) + "\" cy=\"" + px(ly) + "\" r=\"" +
             px(std::max(3.0, ser.radius)) + "\"/>";
        break;
      case PlotSeries::Kind::diamonds:
        s += "<path class=\"" + cls + "\" d=\"M" + px(lx + 6) + " " + px(ly - 5) + " L" + px(lx + 11) + " " +
             px(ly) + " L" + px(lx + 6) + " " + px(ly + 5) + " L" + px(lx + 1) + " " + px(ly) + " Z\"/>";
        break;
      default:
        s += "<line class=\"" + cls + "\" x1=\"" + px(lx) + "\" y1=\"" + px(ly) + "\" x2=\"" + px(lx + 14) +
             "\" y2=\"" + px(ly) + "\"/>";
    }
    s += "<text class=\"legend\" x=\"" + px(lx + 18) + "\" y=\"" + px(ly + 4) + "\">" + html_escape(ser.label) +
         "</text>";
    lx += 30 + 6.2 * static_cast<double>(ser.label.size());
  }
  s += "\n</svg>\n";
  return s;
}

std::string render_bar_chart(const std::string& id, const std::vector<Bar>& bars, int width) {
  const double row = 24, label_w = 120, value_w = 56, top = 8;
  const int height = static_cast<int>(top * 2 + row * static_cast<double>(std::max<size_t>(1, bars.size())));
  double mx = 0;
  for (const auto& b : bars) mx = std::max(mx, b.value);
  if (mx <= 0) mx = 1;
  const double bar_max = width - label_w - value_w;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"" + html_escape(id) +
                  "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
                  "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
                  "\" role=\"img\" aria-label=\"bar chart\">\n";
  double y = top;
  for (const auto& b : bars) {
    double w = std::max(b.value > 0 ? 1.0 : 0.0, bar_max * b.value / mx);
    s += "<text class=\"tick\" x=\"" + px(label_w - 8) + "\" y=\"" + px(y + row / 2 + 4) +
         "\" text-anchor=\"end\">" + html_escape(b.label) + "</text>";
    s += "<rect class=\"" + html_escape(b.css_class) + "\" x=\"" + px(label_w) + "\" y=\"" + px(y + 3) +
         "\" width=\"" + px(w) + "\" height=\"" + px(row - 6) + "\">" + title_tag(b.tooltip) + "</rect>";
    s += "<text class=\"tick\" x=\"" + px(label_w + w + 6) + "\" y=\"" + px(y + row / 2 + 4) + "\">" +
         html_escape(format_value(b.value)) + "</text>\n";
    y += row;
  }
  s += "</svg>\n";
  return s;
}

std::string render_column_chart(const std::string& id, const std::vector<Bar>& bars,
                                const std::string& x_label, const std::string& y_label, int width,
                                int height) {
  const double left = 72, right = width - 18, top = 16, bottom = height - 46;
  std::vector<double> values = {0};
  for (const auto& b : bars) values.push_back(b.value);
  Axis ay = make_axis(values, false, bottom, top, TickFormat::number, 5);
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"" + html_escape(id) +
                  "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
                  "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
                  "\" role=\"img\" aria-label=\"" + html_escape(y_label + " by " + x_label) + "\">\n";
  for (double t : ay.ticks) {
    double y = ay.map(t);
    s += "<line class=\"grid\" x1=\"" + px(left) + "\" y1=\"" + px(y) + "\" x2=\"" + px(right) + "\" y2=\"" +
         px(y) + "\"/>";
    s += "<text class=\"tick\" x=\"" + px(left - 6) + "\" y=\"" + px(y + 4) + "\" text-anchor=\"end\">" +
         html_escape(tick_text(t, ay, TickFormat::number)) + "</text>\n";
  }
  const double slot = (right - left) / static_cast<double>(std::max<size_t>(1, bars.size()));
  const size_t label_every = std::max<size_t>(1, bars.size() / 20);
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double x = left + slot * static_cast<double>(i);
    double y = ay.map(b.value);
    s += "<rect class=\"" + html_escape(b.css_class) + "\" x=\"" + px(x + slot * 0.15) + "\" y=\"" + px(y) +
         "\" width=\"" + px(slot * 0.7) + "\" height=\"" + px(bottom - y) + "\">" + title_tag(b.tooltip) +
         "</rect>";
    if (i % label_every == 0)
      s += "<text class=\"tick\" x=\"" + px(x + slot / 2) + "\" y=\"" + px(bottom + 15) +
           "\" text-anchor=\"middle\">" + html_escape(b.label) + "</text>\n";
  }
  s += "<text class=\"axis-label\" x=\"" + px((left + right) / 2) + "\" y=\"" + px(height - 8) +
       "\" text-anchor=\"middle\">" + html_escape(x_label) + "</text>\n";
  s += "<text class=\"axis-label\" transform=\"translate(14," + px((top + bottom) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(y_label) + "</text>\n";
  s += "</svg>\n";
  return s;
}

}  // namespace mctsnas
