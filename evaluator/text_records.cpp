#include "evaluator/text_records.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "evaluator/csv_reader.h"

namespace mctsnas {
namespace fs = std::filesystem;
namespace {

std::string read_capped(const std::string& path, const char* key, int64_t cap, const std::string& task) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path + ": not found (" + key + ", a " + task + " data file)");
  const auto size = fs::file_size(path, ec);
  if (!ec && cap > 0 && size > static_cast<uintmax_t>(cap))
    throw Error(path + ": " + std::to_string(size) + " bytes, over task.max_file_size (" + std::to_string(cap) +
                " bytes; raise it to read this file)");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) throw Error(path + ": cannot be read (" + key + ")");
  return ss.str();
}

// The length of the UTF-8 sequence at s[i], or 0 when it is not one (overlong forms,
// surrogates and code points above U+10FFFF included).
size_t utf8_length(const std::string& s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
    return 0;
  return len;
}

void check_utf8(const std::string& text, const std::string& path) {
  size_t line = 1;
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_length(text, i);
    if (len == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[i]));
      bad_record(path, line, std::string("byte ") + hex + " is not UTF-8 (save the file as UTF-8)");
    }
    if (text[i] == '\n') ++line;
    i += len;
  }
}

// A JSONL field as a string: a string, or (allow_integer) an integer written as a number.
std::string json_field(const nlohmann::json& j, const RecordField& f, const std::string& path, size_t line) {
  if (!j.contains(f.name)) bad_record(path, line, "no field \"" + f.name + "\" (" + f.key + ")");
  const auto& v = j.at(f.name);
  if (v.is_string()) return v.get<std::string>();
  if (f.allow_integer && v.is_number_integer()) return v.dump();
  bad_record(path, line, "field \"" + f.name + "\" is not a string" + (f.allow_integer ? " or an integer" : ""));
}

std::vector<TextRecord> parse_jsonl(const std::string& text, const std::string& path,
                                    const std::vector<RecordField>& fields) {
  std::vector<TextRecord> out;
  std::istringstream in(text);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      bad_record(path, n, "not a JSON object (expected one object per line)");
    }
    if (!j.is_object()) bad_record(path, n, "not a JSON object (expected one object per line)");
    TextRecord r{n, {}};
    for (const auto& f : fields) r.fields.push_back(json_field(j, f, path, n));
    out.push_back(std::move(r));
  }
  return out;
}

size_t column(const CsvRecord& header, const RecordField& f, const std::string& path) {
  const auto at = std::find(header.fields.begin(), header.fields.end(), f.name);
  if (at != header.fields.end()) return static_cast<size_t>(at - header.fields.begin());
  std::string names;
  for (const auto& h : header.fields) names += (names.empty() ? "" : ", ") + h;
  bad_record(path, static_cast<size_t>(header.line),
             "no column \"" + f.name + "\" (" + f.key + ") in the header (its columns: " + names + ")");
}

std::vector<TextRecord> parse_table(const std::string& text, const std::string& path,
                                    const std::vector<RecordField>& fields, char delimiter) {
  CsvOptions csv;
  csv.delimiter = delimiter;
  const auto rows = parse_csv(text, path, csv);
  std::vector<TextRecord> out;
  if (rows.empty()) return out;
  std::vector<size_t> at;
  for (const auto& f : fields) at.push_back(column(rows[0], f, path));
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const auto line = static_cast<size_t>(row.line);
    if (row.fields.size() != rows[0].fields.size())
      bad_record(path, line, std::to_string(row.fields.size()) + " fields, the header has " +
                                 std::to_string(rows[0].fields.size()) + (delimiter == '\t' ? " (tab-separated)" : ""));
    TextRecord rec{line, {}};
    for (size_t c : at) rec.fields.push_back(row.fields[c]);
    out.push_back(std::move(rec));
  }
  return out;
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

void bad_record(const std::string& path, size_t line, const std::string& what) {
  throw Error(path + ":" + std::to_string(line) + ": " + what);
}

std::vector<TextRecord> read_text_records(const std::string& path, const char* key,
                                          const std::vector<RecordField>& fields, int64_t max_file_size,
                                          const std::string& task) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext != ".jsonl" && ext != ".csv" && ext != ".tsv")
    throw Error(path + ": " + key + ": unknown file type '" + ext + "' (expected .jsonl, .csv or .tsv)");
  const std::string text = read_capped(path, key, max_file_size, task);
  check_utf8(text, path);
  auto records = ext == ".jsonl" ? parse_jsonl(text, path, fields) : parse_table(text, path, fields, ext == ".csv" ? ',' : '\t');
  for (const auto& r : records)
    for (size_t k = 0; k < fields.size(); ++k)
      if (blank(r.fields[k]))
        bad_record(path, r.line, std::string("empty ") + fields[k].what + " (" + fields[k].key + " \"" +
                                     fields[k].name + "\")");
  if (records.empty()) throw Error(path + ": no records (" + key + " is an empty split)");
  return records;
}

std::string read_text_file(const std::string& path, const char* key, int64_t max_file_size, const std::string& task) {
  std::string text = read_capped(path, key, max_file_size, task);
  check_utf8(text, path);
  if (blank(text)) throw Error(path + ": no text (" + key + " is an empty split)");
  return text;
}

}  // namespace mctsnas
