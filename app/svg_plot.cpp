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

// Legend text width per character at the page's 11px legend font (a little more
// than a typical sans-serif average, so labels are never cut), and row height.
constexpr double kLegendCharWidth = 6.6;
constexpr double kLegendRow = 16;
// Axis margin beyond the data, as a fraction of its span: markers at the extremes
// stay inside the plot area.
constexpr double kPlotPad = 0.04;

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

struct AxisSpec {
  bool log = false;
  TickFormat format = TickFormat::number;
  int target_ticks = 5;
  bool integer = false;   // ticks at whole numbers only
  double pad = 0;         // margin beyond the data, as a fraction of its span (0: none)
};

// Log axis: the data range widened by `pad` (in decades), ticks at 1, 2, 5 x 10^k
// when it spans at most two decades, else at powers of ten.
void log_axis(Axis& a, double mn, double mx, double pad) {
  const double decades = std::max(1.0, std::log10(mx / mn));
  a.lo = mn / std::pow(10.0, pad * decades);
  a.hi = mx * std::pow(10.0, pad * decades);
  const int d0 = static_cast<int>(std::floor(std::log10(a.lo))), d1 = static_cast<int>(std::ceil(std::log10(a.hi)));
  for (int d = d0; d <= d1; ++d)
    for (double m : {1.0, 2.0, 5.0}) {
      const double t = m * std::pow(10.0, d);
      if ((m == 1 || d1 - d0 <= 2) && t >= a.lo * (1 - 1e-9) && t <= a.hi * (1 + 1e-9)) a.ticks.push_back(t);
    }
}

void linear_axis(Axis& a, double mn, double mx, const AxisSpec& spec) {
  if (spec.integer && mx - mn < 2) {   // room for two whole-number ticks
    const double mid = (mn + mx) / 2;
    mn = mid - 1;
    mx = mid + 1;
  }
  if (mx == mn) {
    double pad = mn == 0 ? 1 : std::abs(mn) * 0.1;
    mn -= pad;
    mx += pad;
  }
  double step = nice_step(mx - mn, spec.target_ticks, spec.format);
  if (spec.integer) step = std::max(1.0, std::ceil(step));
  if (spec.pad > 0) {
    // A small margin, not widened to the next tick: the data fill the area.
    const double margin = (mx - mn) * spec.pad;
    a.lo = mn - margin;
    a.hi = mx + margin;
  } else {
    a.lo = std::floor(mn / step) * step;
    a.hi = std::max(std::ceil(mx / step) * step, a.lo + step);
  }
  for (double t = std::ceil(a.lo / step - 1e-9) * step; t <= a.hi + step * 1e-9; t += step)
    a.ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
}

Axis make_axis(std::vector<double> values, double p0, double p1, const AxisSpec& spec) {
  Axis a;
  a.p0 = p0;
  a.p1 = p1;
  a.log = spec.log;
  values.erase(std::remove_if(values.begin(), values.end(),
                              [&](double v) { return !std::isfinite(v) || (spec.log && v <= 0); }),
               values.end());
  if (values.empty()) values = spec.log ? std::vector<double>{1, 10} : std::vector<double>{0, 1};
  const double mn = *std::min_element(values.begin(), values.end());
  const double mx = *std::max_element(values.begin(), values.end());
  if (spec.log)
    log_axis(a, mn, mx, spec.pad);
  else
    linear_axis(a, mn, mx, spec);
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

namespace {

// Pixel box of a plot's data area inside its <svg>.
struct Frame {
  double left, right, top, bottom;
};

std::string svg_open(const std::string& id, int width, int height, const std::string& aria) {
  const std::string w = std::to_string(width), h = std::to_string(height);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"" + html_escape(id) + "\" width=\"" + w +
         "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\" role=\"img\" aria-label=\"" +
         html_escape(aria) + "\">\n";
}

std::string line(const std::string& cls, double x1, double y1, double x2, double y2, const std::string& inner = "") {
  return "<line class=\"" + cls + "\" x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" +
         px(y2) + (inner.empty() ? "\"/>" : "\">" + inner + "</line>");
}

std::string text(const std::string& cls, double x, double y, const std::string& anchor, const std::string& t) {
  return "<text class=\"" + cls + "\" x=\"" + px(x) + "\" y=\"" + px(y) + "\"" +
         (anchor.empty() ? "" : " text-anchor=\"" + anchor + "\"") + ">" + html_escape(t) + "</text>";
}

std::string diamond(const std::string& cls, double x, double y, double r, const std::string& tooltip) {
  return "<path class=\"" + cls + "\" d=\"M" + px(x) + " " + px(y - r) + " L" + px(x + r) + " " + px(y) + " L" +
         px(x) + " " + px(y + r) + " L" + px(x - r) + " " + px(y) + " Z\">" + title_tag(tooltip) + "</path>";
}

std::string y_ticks(const Axis& ay, const Frame& f, TickFormat format) {
  std::string s;
  for (double t : ay.ticks) {
    const double y = ay.map(t);
    s += line("grid", f.left, y, f.right, y) + text("tick", f.left - 6, y + 4, "end", tick_text(t, ay, format)) + "\n";
  }
  return s;
}

std::string axis_labels(const Frame& f, int height, const std::string& x_label, const std::string& y_label) {
  return text("axis-label", (f.left + f.right) / 2, height - 8, "middle", x_label) + "\n" +
         "<text class=\"axis-label\" transform=\"translate(14," + px((f.top + f.bottom) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(y_label) + "</text>\n";
}

std::string draw_series(const PlotSeries& ser, const Axis& ax, const Axis& ay, const Frame& f) {
  const std::string cls = html_escape(ser.css_class);
  auto usable = [&](const PlotPoint& p) { return std::isfinite(p.x) && (!ax.log || p.x > 0) && std::isfinite(p.y); };
  std::string s;
  if (ser.kind == PlotSeries::Kind::hline) {
    if (!ser.points.empty() && std::isfinite(ser.points[0].y))
      s = line(cls, f.left, ay.map(ser.points[0].y), f.right, ay.map(ser.points[0].y), title_tag(ser.points[0].tooltip)) + "\n";
    return s;
  }
  if (ser.kind == PlotSeries::Kind::step || ser.kind == PlotSeries::Kind::line) {
    std::string d;
    for (const auto& p : ser.points) {
      if (!usable(p)) continue;
      const double x = ax.map(p.x), y = ay.map(p.y);
      if (d.empty()) d = "M" + px(x) + " " + px(y);
      else if (ser.kind == PlotSeries::Kind::step) d += " H" + px(x) + " V" + px(y);
      else d += " L" + px(x) + " " + px(y);
    }
    return d.empty() ? s : "<path class=\"" + cls + "\" d=\"" + d + "\">" + title_tag(ser.tooltip) + "</path>\n";
  }
  for (const auto& p : ser.points) {
    if (!usable(p)) continue;
    const double x = ax.map(p.x), y = ay.map(p.y);
    if (ser.kind == PlotSeries::Kind::diamonds) s += diamond(cls, x, y, ser.radius, p.tooltip);
    else s += "<circle class=\"" + cls + "\" cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"" + px(ser.radius) + "\">" +
              title_tag(p.tooltip) + "</circle>";
  }
  return s + "\n";
}

// Legend entries flow left to right and wrap onto more rows above the plot area;
// a label too long for a whole row is cut with an ellipsis.
struct LegendEntry {
  const PlotSeries* series;
  std::string label;
  double x, y;
};

std::vector<LegendEntry> layout_legend(const std::vector<PlotSeries>& series, double left, int width) {
  std::vector<LegendEntry> out;
  const double right = width - 8, max_chars = (right - left - 18) / kLegendCharWidth;
  double x = left, y = 16;
  for (const auto& ser : series) {
    if (ser.label.empty()) continue;
    std::string label = ser.label;
    if (static_cast<double>(label.size()) > max_chars) label = label.substr(0, static_cast<size_t>(max_chars) - 3) + "...";
    const double w = legend_width(label);
    if (x > left && x + w > right) {
      x = left;
      y += kLegendRow;
    }
    out.push_back({&ser, label, x, y});
    x += w + 12;
  }
  return out;
}

std::string draw_legend(const std::vector<LegendEntry>& entries) {
  std::string s;
  for (const auto& e : entries) {
    const PlotSeries& ser = *e.series;
    const std::string cls = html_escape(ser.css_class);
    if (ser.kind == PlotSeries::Kind::points)
      s += "<circle class=\"" + cls + "\" cx=\"" + px(e.x + 6) + "\" cy=\"" + px(e.y) + "\" r=\"" +
           px(std::max(3.0, ser.radius)) + "\"/>";
    else if (ser.kind == PlotSeries::Kind::diamonds)
      s += diamond(cls, e.x + 6, e.y, 5, "");
    else
      s += line(cls, e.x, e.y, e.x + 14, e.y);
    s += text("legend", e.x + 18, e.y + 4, "", e.label);
  }
  return s + "\n";
}

}  // namespace

double legend_width(const std::string& label) { return 18 + kLegendCharWidth * static_cast<double>(label.size()); }

std::string render_plot(const PlotOptions& o, const std::vector<PlotSeries>& series) {
  const auto legend = layout_legend(series, 72, o.width);
  const double top = 18 + (legend.empty() ? kLegendRow : legend.back().y);
  const Frame f{72, o.width - 18.0, top, o.height - 46.0};
  std::vector<double> xs, ys;
  for (const auto& s : series)
    for (const auto& p : s.points) {
      if (s.kind != PlotSeries::Kind::hline) xs.push_back(p.x);
      ys.push_back(p.y);
    }
  const Axis ax = make_axis(xs, f.left, f.right, {o.x_log, o.x_format, 6, o.x_integer, kPlotPad});
  const Axis ay = make_axis(ys, f.bottom, f.top, {false, o.y_format, 5, false, kPlotPad});

  std::string s = svg_open(o.id, o.width, o.height, o.y_label + " vs " + o.x_label);
  s += "<rect class=\"area\" x=\"" + px(f.left) + "\" y=\"" + px(f.top) + "\" width=\"" + px(f.right - f.left) +
       "\" height=\"" + px(f.bottom - f.top) + "\"/>\n";
  for (double t : ax.ticks) {
    const double x = ax.map(t);
    s += line("grid", x, f.top, x, f.bottom) + text("tick", x, f.bottom + 15, "middle", tick_text(t, ax, o.x_format)) + "\n";
  }
  s += y_ticks(ay, f, o.y_format);
  s += axis_labels(f, o.height, o.x_label + (o.x_log ? " (log scale)" : ""), o.y_label);
  for (const auto& ser : series) s += draw_series(ser, ax, ay, f);
  s += draw_legend(legend);
  return s + "</svg>\n";
}

std::string render_bar_chart(const std::string& id, const std::vector<Bar>& bars, int width) {
  const double row = 24, label_w = 120, value_w = 56, top = 8;
  const int height = static_cast<int>(top * 2 + row * static_cast<double>(std::max<size_t>(1, bars.size())));
  double mx = 0;
  for (const auto& b : bars) mx = std::max(mx, b.value);
  if (mx <= 0) mx = 1;
  const double bar_max = width - label_w - value_w;
  std::string s = svg_open(id, width, height, "bar chart");
  double y = top;
  for (const auto& b : bars) {
    double w = std::max(b.value > 0 ? 1.0 : 0.0, bar_max * b.value / mx);
    s += text("tick", label_w - 8, y + row / 2 + 4, "end", b.label);
    s += "<rect class=\"" + html_escape(b.css_class) + "\" x=\"" + px(label_w) + "\" y=\"" + px(y + 3) +
         "\" width=\"" + px(w) + "\" height=\"" + px(row - 6) + "\">" + title_tag(b.tooltip) + "</rect>";
    s += text("tick", label_w + w + 6, y + row / 2 + 4, "", format_value(b.value)) + "\n";
    y += row;
  }
  s += "</svg>\n";
  return s;
}

std::string render_column_chart(const std::string& id, const std::vector<Bar>& bars,
                                const std::string& x_label, const std::string& y_label, int width,
                                int height) {
  const Frame f{72, width - 18.0, 16, height - 46.0};
  std::vector<double> values = {0};
  for (const auto& b : bars) values.push_back(b.value);
  const Axis ay = make_axis(values, f.bottom, f.top, {});
  std::string s = svg_open(id, width, height, y_label + " by " + x_label) + y_ticks(ay, f, TickFormat::number);
  const double slot = (f.right - f.left) / static_cast<double>(std::max<size_t>(1, bars.size()));
  const size_t label_every = std::max<size_t>(1, bars.size() / 20);
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double x = f.left + slot * static_cast<double>(i), y = ay.map(b.value);
    s += "<rect class=\"" + html_escape(b.css_class) + "\" x=\"" + px(x + slot * 0.15) + "\" y=\"" + px(y) +
         "\" width=\"" + px(slot * 0.7) + "\" height=\"" + px(f.bottom - y) + "\">" + title_tag(b.tooltip) + "</rect>";
    if (i % label_every == 0) s += text("tick", x + slot / 2, f.bottom + 15, "middle", b.label) + "\n";
  }
  s += axis_labels(f, height, x_label, y_label);
  s += "</svg>\n";
  return s;
}

}  // namespace mctsnas
