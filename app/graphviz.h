#pragma once
// Graphviz, run as a child process: DOT text in, SVG out. Used by `report` (the
// winner's cells inline) and `export` (best/cells.svg). The program runs without a
// shell, with a deadline, so a missing or hung `dot` costs a note, never the run.
#include <string>

namespace mctsnas {

struct GraphvizOptions {
  std::string program = "dot";    // looked up on PATH
  double timeout_seconds = 20;
};

struct SvgDrawing {
  std::string svg;       // the SVG document `dot -Tsvg` printed; empty on failure
  std::string problem;   // why there is no drawing, for a note; empty on success
};

// Runs `program -Tsvg` with `dot` on its standard input.
SvgDrawing render_dot_svg(const std::string& dot, const GraphvizOptions& options = {});

// An SVG document made fit to sit inside an HTML page: from "<svg" on, without the
// XML declaration, DOCTYPE or comments before it; empty when there is no <svg.
std::string inline_svg(const std::string& doc);

}  // namespace mctsnas
