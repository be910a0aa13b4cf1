#pragma once
// Small inline-SVG charts for report.html: scatter/step-line plots on linear or
// log axes and bar charts. No scripts, no external files: hover text comes from
// SVG <title> elements. Colours come from CSS classes the page defines.
#include <string>
#include <vector>

namespace mctsnas {

// Escapes text for HTML/XML text and attribute values (& < > " ').
std::string html_escape(const std::string& s);

enum class TickFormat { number, si, duration };

struct PlotPoint {
  double x = 0, y = 0;
  std::string tooltip;   // shown on hover; empty: none
};

struct PlotSeries {
  enum class Kind {
    points,     // one marker per point
    step,       // staircase through the points (best so far), then markers-free
    line,       // straight segments through the points (already sorted by x)
    hline,      // horizontal line at points[0].y across the plot
    diamonds,   // larger diamond markers (e.g. the baseline)
  };
  Kind kind = Kind::points;
  std::string label;       // legend text; empty: not in the legend
  std::string css_class;   // e.g. "pt-ok", "front", "best", "baseline"
  double radius = 3;
  std::vector<PlotPoint> points;
  std::string tooltip;     // step and line: hover text of the whole line
};

struct PlotOptions {
  std::string id;          // the <svg> element's id
  std::string x_label, y_label;
  TickFormat x_format = TickFormat::number;
  TickFormat y_format = TickFormat::number;
  bool x_log = false;      // needs all x > 0
  bool x_integer = false;  // x ticks at whole numbers only (counts such as trials)
  int width = 560, height = 340;
};

// Both axes extend a little beyond the data, so markers at the extremes are drawn
// whole inside the plot area; the legend wraps onto as many rows as it needs.
std::string render_plot(const PlotOptions& options, const std::vector<PlotSeries>& series);

// Width in pixels a legend entry (marker and label) takes; exposed for tests.
double legend_width(const std::string& label);

struct Bar {
  std::string label;
  double value = 0;
  std::string css_class;
  std::string tooltip;
};

// Horizontal bars (one row per bar, label left, value right).
std::string render_bar_chart(const std::string& id, const std::vector<Bar>& bars, int width = 560);
// Vertical bars (label below each bar), for short label sets such as tree depths.
std::string render_column_chart(const std::string& id, const std::vector<Bar>& bars,
                                const std::string& x_label, const std::string& y_label,
                                int width = 560, int height = 300);

// "1.23M", "450k", "0.213": compact text for a value.
std::string format_value(double v, TickFormat f = TickFormat::number);
// True when a log axis suits the values (all > 0 and spanning > 20x).
bool wants_log_axis(const std::vector<double>& values);

}  // namespace mctsnas
