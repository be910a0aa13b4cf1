#pragma once
// A small RFC-4180 CSV reader: comma-separated fields, double-quoted fields may
// hold commas, newlines and doubled quotes (""), CRLF or LF line ends. Each record
// carries the physical line it starts on, so errors can name file:line.
//
// Files are read in chunks, never whole: a record longer than
// CsvOptions::max_record_bytes or a file larger than max_file_bytes is a one-line
// error, so a hostile table (one 2 GB line) cannot take the machine's memory.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mctsnas {

struct CsvRecord {
  int line = 0;                     // 1-based physical line where the record starts
  std::vector<std::string> fields;
};

struct CsvOptions {
  size_t max_record_bytes = size_t{1} << 20;     // 1 MiB: a table row is far shorter
  uint64_t max_file_bytes = uint64_t{2} << 30;   // 2 GiB
  char delimiter = ',';   // '\t' reads TSV with the same quoting (as Python's csv module and pandas write it)
};

// Reads the whole file. Throws Error "FILE: cannot open ..." or
// "FILE:LINE: unterminated quoted field" / "... stray quote ..." / "... longer than
// ...". Blank lines (no characters at all) are skipped; a UTF-8 byte-order mark is
// dropped.
std::vector<CsvRecord> read_csv(const std::filesystem::path& path, const CsvOptions& opts = {});

// Same, from text already in memory; `name` is used in error messages.
std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& name, const CsvOptions& opts = {});

// Index of `column` in a header row; Error "FILE:1: no WHAT column 'X' in the header
// (columns: ...)", with a did-you-mean among the columns other than `taken`.
int csv_column(const std::vector<std::string>& header, const std::string& column, const std::string& what,
               const std::string& file, const std::string& taken = {});

// Error "FILE:LINE: N fields, expected W as in the header" unless the row has `width` fields.
void check_row_width(const CsvRecord& row, size_t width, const std::string& file);

// A finite number (a leading '+' allowed, surrounding blanks ignored); nullopt otherwise.
std::optional<double> parse_csv_number(const std::string& text);

}  // namespace mctsnas
