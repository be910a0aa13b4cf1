#include "evaluator/csv_reader.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/strings.h"

namespace mctsnas {
namespace {

// The columns a mistaken name probably meant: those that contain it (`acc` for
// `test_accuracy`), else the closest by spelling; never the column `taken` by another role.
std::vector<std::string> near_columns(const std::vector<std::string>& header, const std::string& column,
                                      const std::string& taken) {
  std::vector<std::string> others, containing;
  for (const auto& h : header)
    if (h != taken) others.push_back(h);
  for (const auto& h : others)
    if (!column.empty() && h.find(column) != std::string::npos) containing.push_back(h);
  if (!containing.empty()) return containing;
  std::string near = closest_match(column, others);
  return near.empty() ? std::vector<std::string>{} : std::vector<std::string>{near};
}

}  // namespace

int csv_column(const std::vector<std::string>& header, const std::string& column, const std::string& what,
               const std::string& file, const std::string& taken) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == column) return static_cast<int>(i);
  std::string msg = file + ":1: no " + what + " column '" + column + "' in the header (columns: " +
                    join(header, ", ") + ")";
  std::vector<std::string> near = near_columns(header, column, taken);
  if (!near.empty()) msg += "; did you mean '" + join(near, "' or '") + "'?";
  throw Error(msg);
}

void check_row_width(const CsvRecord& row, size_t width, const std::string& file) {
  if (row.fields.size() != width)
    throw Error(file + ":" + std::to_string(row.line) + ": " + std::to_string(row.fields.size()) + " fields, expected " +
                std::to_string(width) + " as in the header");
}

std::optional<double> parse_csv_number(const std::string& text) {
  std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  double v = 0;
  const char* b = t.data();
  const char* e = t.data() + t.size();
  if (*b == '+') ++b;  // from_chars rejects a leading '+', which CSV writers may emit
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& name) {
  std::vector<CsvRecord> out;
  size_t i = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
  int line = 1;
  const size_t n = text.size();
  while (i < n) {
    // A blank line is not a record (a trailing newline must not make an empty row).
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      continue;
    }
    CsvRecord rec;
    rec.line = line;
    std::string field;
    bool done = false;
    while (!done) {
      if (i < n && text[i] == '"') {
        const int quote_line = line;
        ++i;
        while (true) {
          if (i >= n)
            throw Error(name + ":" + std::to_string(quote_line) + ": unterminated quoted field");
          char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n') ++line;
          field += c;
          ++i;
        }
        if (i < n && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n'))
          throw Error(name + ":" + std::to_string(line) +
                      ": unexpected character after closing quote (a quoted field must end at a comma or line end)");
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n' &&
               !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
          if (text[i] == '"')
            throw Error(name + ":" + std::to_string(line) +
                        ": stray quote in an unquoted field (quote the whole field and double inner quotes)");
          field += text[i++];
        }
      }
      rec.fields.push_back(std::move(field));
      field.clear();
      if (i >= n) {
        done = true;
      } else if (text[i] == ',') {
        ++i;
      } else {  // line end
        i += text[i] == '\r' ? 2 : 1;
        ++line;
        done = true;
      }
    }
    out.push_back(std::move(rec));
  }
  return out;
}

std::vector<CsvRecord> read_csv(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(path.string() + ": cannot open table (is a directory, expected a CSV file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open table (" + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read error");
  return parse_csv(ss.str(), path.string());
}

}  // namespace mctsnas
