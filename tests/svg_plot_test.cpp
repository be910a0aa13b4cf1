// The report's SVG charts: legends that fit, whole-number ticks on count axes,
// markers drawn inside the plot area, and the tick/value formatting.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "app/svg_plot.h"

using namespace mctsnas;

namespace {

double attr(const std::string& element, const std::string& name) {
  std::smatch m;
  const std::regex re(" " + name + "=\"([-0-9.]+)\"");
  REQUIRE(std::regex_search(element, m, re));
  return std::stod(m[1]);
}

// Every <tag ...> opening element of the document.
std::vector<std::string> elements(const std::string& svg, const std::string& tag) {
  std::vector<std::string> out;
  for (size_t p = 0; (p = svg.find("<" + tag + " ", p)) != std::string::npos; ++p)
    out.push_back(svg.substr(p, svg.find('>', p) - p + 1));
  return out;
}

// The text of each <text class="CLS" ...>...</text>, with its opening element.
std::vector<std::pair<std::string, std::string>> texts(const std::string& svg, const std::string& cls) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string open = "<text class=\"" + cls + "\"";
  for (size_t p = 0; (p = svg.find(open, p)) != std::string::npos; ++p) {
    const size_t gt = svg.find('>', p), end = svg.find("</text>", gt);
    out.emplace_back(svg.substr(p, gt - p + 1), svg.substr(gt + 1, end - gt - 1));
  }
  return out;
}

PlotSeries points(std::vector<PlotPoint> pts, const std::string& label = "trial") {
  return {PlotSeries::Kind::points, label, "pt-ok", 2.6, std::move(pts), ""};
}

}  // namespace

TEST_CASE("svg_plot: a count axis has whole-number ticks", "[svg_plot]") {
  for (int n : {1, 2, 3, 7, 16, 250}) {
    INFO(n << " trials");
    std::vector<PlotPoint> pts;
    for (int i = 1; i <= n; ++i) pts.push_back({static_cast<double>(i), 0.5 - 0.001 * i, ""});
    PlotOptions o{"p", "trials finished", "val_per", TickFormat::number, TickFormat::number, false, true, 560, 340};
    const std::string svg = render_plot(o, {points(pts)});
    size_t x_ticks = 0;
    for (const auto& [el, t] : texts(svg, "tick"))
      if (el.find("text-anchor=\"middle\"") != std::string::npos) {
        ++x_ticks;
        CHECK(t.find('.') == std::string::npos);
      }
    CHECK(x_ticks >= 2);
  }
  // Without x_integer a short range gets fractional ticks: the flag is what prevents them.
  PlotOptions o{"p", "x", "y", TickFormat::number, TickFormat::number, false, false, 560, 340};
  const std::string svg = render_plot(o, {points({{1, 1, ""}, {2, 2, ""}})});
  bool fractional = false;
  for (const auto& [el, t] : texts(svg, "tick")) fractional |= t.find('.') != std::string::npos;
  CHECK(fractional);
}

TEST_CASE("svg_plot: markers at the data extremes are drawn whole inside the plot area", "[svg_plot]") {
  for (bool x_log : {false, true}) {
    INFO("x_log " << x_log);
    std::vector<PlotPoint> pts = {{1e5, 0.2, ""}, {3e5, 0.5, ""}, {1e7, 0.9, ""}, {100000, 0.9, ""}, {1e7, 0.2, ""}};
    PlotOptions o{"p", "params", "val_per", TickFormat::si, TickFormat::number, x_log, false, 560, 340};
    std::vector<PlotSeries> series = {points(pts)};
    series.push_back({PlotSeries::Kind::diamonds, "baseline", "pt-baseline", 7, {{1e7, 0.95, ""}}, ""});
    const std::string svg = render_plot(o, series);
    const auto rects = elements(svg, "rect");
    REQUIRE(!rects.empty());
    const double left = attr(rects[0], "x"), top = attr(rects[0], "y");
    const double right = left + attr(rects[0], "width"), bottom = top + attr(rects[0], "height");
    size_t circles = 0;
    for (const auto& c : elements(svg, "circle")) {
      if (c.size() >= 2 && c.compare(c.size() - 2, 2, "/>") == 0) continue;   // a legend marker
      const double cx = attr(c, "cx"), cy = attr(c, "cy"), r = attr(c, "r");
      CHECK(cx - r >= left);
      CHECK(cx + r <= right);
      CHECK(cy - r >= top);
      CHECK(cy + r <= bottom);
      ++circles;
    }
    CHECK(circles == pts.size());
  }
}

TEST_CASE("svg_plot: legends wrap onto more rows instead of running off the plot", "[svg_plot]") {
  const std::vector<std::string> labels = {
      "trial (ok)", "best so far",
      "baseline (standard Transformer of the same width and depth, trained the same way)",
      "Pareto front (12)", "a label far too long to fit on one row of the legend even on its own, so it is cut "
                           "short with an ellipsis rather than clipped by the edge of the picture"};
  std::vector<PlotSeries> series;
  for (const auto& l : labels) series.push_back(points({{1, 1, ""}, {2, 2, ""}}, l));
  PlotOptions o{"p", "x", "y", TickFormat::number, TickFormat::number, false, false, 560, 340};
  const std::string svg = render_plot(o, series);
  const auto legend = texts(svg, "legend");
  REQUIRE(legend.size() == labels.size());
  std::vector<double> rows;
  for (const auto& [el, t] : legend) {
    INFO(t);
    const double x = attr(el, "x");
    CHECK(x + legend_width(t) - 18 <= o.width);   // legend_width counts the marker before x
    if (std::find(rows.begin(), rows.end(), attr(el, "y")) == rows.end()) rows.push_back(attr(el, "y"));
  }
  CHECK(rows.size() >= 3);
  CHECK(legend.back().second.size() < labels.back().size());   // cut
  CHECK(legend.back().second.substr(legend.back().second.size() - 3) == "...");
  // The plot area starts below the last legend row.
  CHECK(attr(elements(svg, "rect")[0], "y") > rows.back());
}

TEST_CASE("svg_plot: value formatting", "[svg_plot]") {
  CHECK(format_value(1234567, TickFormat::si) == "1.23M");
  CHECK(format_value(0.2134) == "0.2134");
  CHECK(format_value(90, TickFormat::duration) == "1m30s");
  CHECK(wants_log_axis({1, 100}));
  CHECK_FALSE(wants_log_axis({1, 10}));
  CHECK(html_escape("a<b & \"c\"") == "a&lt;b &amp; &quot;c&quot;");
}
