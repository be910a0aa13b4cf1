#include "evaluator/csv_reader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace mctsnas {

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
