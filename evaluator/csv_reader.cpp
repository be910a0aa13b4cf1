#include "evaluator/csv_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

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
  throw Error(one_line(msg));   // header fields may hold newlines (quoted)
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

namespace {

bool line_end(std::string_view t, size_t i) {
  return t[i] == '\n' || (t[i] == '\r' && i + 1 < t.size() && t[i + 1] == '\n');
}

std::string size_text(uint64_t b) {
  return b >= (uint64_t{1} << 20) && b % (uint64_t{1} << 20) == 0 ? std::to_string(b >> 20) + " MiB"
                                                                  : std::to_string(b) + " bytes";
}

std::string mib(uint64_t b) { return std::to_string(b >> 20) + " MiB"; }

[[noreturn]] void too_long(const std::string& name, int line, const CsvOptions& opts) {
  throw Error(name + ":" + std::to_string(line) + ": a record longer than " + size_text(opts.max_record_bytes) +
              " (a table row is far shorter: is this the right file, or is a quote left open?)");
}

// Parses the records of `t`, which ends at a record boundary (or at the end of the
// file); `line` is the physical line `t` starts on, advanced past it.
void parse_records(std::string_view t, int& line, const std::string& name, const CsvOptions& opts,
                   std::vector<CsvRecord>& out) {
  const size_t n = t.size();
  size_t i = 0;
  while (i < n) {
    if (line_end(t, i)) {   // a blank line is not a record (a trailing newline must not make an empty row)
      i += t[i] == '\r' ? 2 : 1;
      ++line;
      continue;
    }
    CsvRecord rec;
    rec.line = line;
    const size_t start = i;
    std::string field;
    while (true) {
      if (t[i] == '"') {
        const int quote_line = line;
        for (++i;; ++i) {
          if (i >= n) throw Error(name + ":" + std::to_string(quote_line) + ": unterminated quoted field");
          if (t[i] == '"') {
            if (i + 1 < n && t[i + 1] == '"') {
              field += '"';
              ++i;
              continue;
            }
            ++i;
            break;
          }
          if (t[i] == '\n') ++line;
          field += t[i];
        }
        if (i < n && t[i] != opts.delimiter && !line_end(t, i))
          throw Error(name + ":" + std::to_string(line) + ": unexpected character after closing quote (a quoted field must end at a " +
                      (opts.delimiter == '\t' ? "tab" : "comma") + " or line end)");
      } else {
        for (; i < n && t[i] != opts.delimiter && !line_end(t, i); ++i) {
          if (t[i] == '"')
            throw Error(name + ":" + std::to_string(line) +
                        ": stray quote in an unquoted field (quote the whole field and double inner quotes)");
          field += t[i];
        }
      }
      if (i - start > opts.max_record_bytes) too_long(name, rec.line, opts);
      rec.fields.push_back(std::move(field));
      field.clear();
      if (i >= n) break;
      if (t[i] == opts.delimiter) {
        if (++i < n) continue;
        rec.fields.emplace_back();   // a trailing delimiter at the end of the file: one more empty field
        break;
      }
      i += t[i] == '\r' ? 2 : 1;   // line end
      ++line;
      break;
    }
    out.push_back(std::move(rec));
  }
}

// The end of the last complete record in `t` (just past its line end), from the
// quote state; 0 when no record is complete yet.
size_t complete_prefix(std::string_view t) {
  bool quoted = false;
  size_t end = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '"') quoted = !quoted;
    else if (t[i] == '\n' && !quoted) end = i + 1;
  }
  return end;
}

}  // namespace

std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& name, const CsvOptions& opts) {
  std::vector<CsvRecord> out;
  if (text.size() > opts.max_file_bytes)
    throw Error(name + ": larger than " + size_text(opts.max_file_bytes) + " (the limit for a table)");
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  int line = 1;
  parse_records(text, line, name, opts, out);
  return out;
}

std::vector<CsvRecord> read_csv(const std::filesystem::path& path, const CsvOptions& opts) {
  const std::string name = path.string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(name + ": cannot open table (" + std::strerror(errno) + ")");
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
    throw Error(name + ": cannot open table (is a directory, expected a CSV file)");
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > opts.max_file_bytes)
    throw Error(name + ": " + mib(static_cast<uint64_t>(st.st_size)) + ", larger than " +
                size_text(opts.max_file_bytes) + " (the limit for a table)");
  std::vector<CsvRecord> out;
  std::string buf;
  uint64_t total = 0;
  int line = 1;
  bool first = true;
  char chunk[1 << 16];
  while (true) {
    ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(name + ": read error (" + std::strerror(errno) + ")");
    if (got == 0) break;
    total += static_cast<uint64_t>(got);
    if (total > opts.max_file_bytes)
      throw Error(name + ": larger than " + size_text(opts.max_file_bytes) + " (the limit for a table)");
    buf.append(chunk, static_cast<size_t>(got));
    if (first) {   // a byte-order mark is dropped before anything is parsed
      if (buf.size() < 3) continue;
      if (buf.compare(0, 3, "\xEF\xBB\xBF") == 0) buf.erase(0, 3);
      first = false;
    }
    const size_t done = complete_prefix(buf);
    parse_records(std::string_view(buf).substr(0, done), line, name, opts, out);
    buf.erase(0, done);
    if (buf.size() > opts.max_record_bytes) too_long(name, line, opts);
  }
  if (first && buf.compare(0, 3, "\xEF\xBB\xBF") == 0) buf.erase(0, 3);
  parse_records(buf, line, name, opts, out);
  return out;
}

}  // namespace mctsnas
