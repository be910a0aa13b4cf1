#include "evaluator/torch/classify_data.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "evaluator/csv_reader.h"

namespace mctsnas::torchnas {
namespace fs = std::filesystem;
namespace {

struct RawRecord {
  size_t line = 0;
  std::string text, label;
};

[[noreturn]] void bad(const std::string& path, size_t line, const std::string& what) {
  throw Error(path + ":" + std::to_string(line) + ": " + what);
}

std::string read_capped(const std::string& path, const char* key, int64_t cap) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path + ": not found (" + key + ", a classify data file)");
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
      bad(path, line, std::string("byte ") + hex + " is not UTF-8 (save the file as UTF-8)");
    }
    if (text[i] == '\n') ++line;
    i += len;
  }
}

// A JSONL field as a string: a string, or an integer label written as a number.
std::string json_field(const nlohmann::json& j, const std::string& name, const char* key, bool allow_integer,
                       const std::string& path, size_t line) {
  if (!j.contains(name)) bad(path, line, "no field \"" + name + "\" (" + key + ")");
  const auto& v = j.at(name);
  if (v.is_string()) return v.get<std::string>();
  if (allow_integer && v.is_number_integer()) return v.dump();
  bad(path, line, "field \"" + name + "\" is not a string" + (allow_integer ? " or an integer" : ""));
}

std::vector<RawRecord> parse_jsonl(const std::string& text, const std::string& path, const TaskOptions& o) {
  std::vector<RawRecord> out;
  std::istringstream in(text);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      bad(path, n, "not a JSON object (expected one object per line)");
    }
    if (!j.is_object()) bad(path, n, "not a JSON object (expected one object per line)");
    out.push_back({n, json_field(j, o.text_field, "task.text_field", false, path, n),
                   json_field(j, o.label_field, "task.label_field", true, path, n)});
  }
  return out;
}

size_t column(const CsvRecord& header, const std::string& name, const char* key, const std::string& path) {
  const auto at = std::find(header.fields.begin(), header.fields.end(), name);
  if (at != header.fields.end()) return static_cast<size_t>(at - header.fields.begin());
  std::string names;
  for (const auto& f : header.fields) names += (names.empty() ? "" : ", ") + f;
  bad(path, static_cast<size_t>(header.line), "no column \"" + name + "\" (" + key + ") in the header (its columns: " +
                                                  names + ")");
}

std::vector<RawRecord> parse_table(const std::string& text, const std::string& path, const TaskOptions& o,
                                   char delimiter) {
  CsvOptions csv;
  csv.delimiter = delimiter;
  const auto rows = parse_csv(text, path, csv);
  std::vector<RawRecord> out;
  if (rows.empty()) return out;
  const size_t t = column(rows[0], o.text_field, "task.text_field", path);
  const size_t l = column(rows[0], o.label_field, "task.label_field", path);
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const auto line = static_cast<size_t>(row.line);
    if (row.fields.size() != rows[0].fields.size())
      bad(path, line, std::to_string(row.fields.size()) + " fields, the header has " +
                          std::to_string(rows[0].fields.size()) + (delimiter == '\t' ? " (tab-separated)" : ""));
    out.push_back({line, row.fields[t], row.fields[l]});
  }
  return out;
}

std::vector<RawRecord> read_records(const std::string& path, const char* key, const TaskOptions& o) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext != ".jsonl" && ext != ".csv" && ext != ".tsv")
    throw Error(path + ": " + key + ": unknown file type '" + ext + "' (expected .jsonl, .csv or .tsv)");
  const std::string text = read_capped(path, key, o.max_file_size);
  check_utf8(text, path);
  auto records = ext == ".jsonl" ? parse_jsonl(text, path, o) : parse_table(text, path, o, ext == ".csv" ? ',' : '\t');
  for (const auto& r : records) {
    if (r.text.find_first_not_of(" \t\r\n") == std::string::npos)
      bad(path, r.line, "empty text (task.text_field \"" + o.text_field + "\")");
    if (r.label.empty()) bad(path, r.line, "empty label (task.label_field \"" + o.label_field + "\")");
  }
  if (records.empty()) throw Error(path + ": no records (" + key + " is an empty split)");
  return records;
}

ClassifyData builtin_spam(const TaskOptions& o) {
  ClassifyData d;
  d.labels = {"ham", "spam"};   // read_spam's labels 0 and 1, in sorted order
  const auto msgs = read_spam(dataset_path(o.data, "spam.jsonl"));
  for (size_t i = 0; i < msgs.size(); ++i) d.splits[static_cast<int>(split_of(i))].push_back(msgs[i]);
  return d;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

ClassifyData read_classify_data(const TaskOptions& o) {
  if (o.train.empty()) return builtin_spam(o);
  const std::pair<const std::string*, const char*> files[3] = {
      {&o.train, "task.train"}, {&o.validation, "task.validation"}, {&o.test, "task.test"}};
  std::vector<RawRecord> raw[3];
  for (int k = 0; k < 3; ++k) raw[k] = read_records(*files[k].first, files[k].second, o);
  std::set<std::string> names;
  for (const auto& r : raw[0]) names.insert(r.label);
  if (names.size() < 2)
    throw Error(o.train + ": every record has the label '" + *names.begin() + "'; classify needs at least 2 labels");
  ClassifyData d;
  d.labels.assign(names.begin(), names.end());
  for (int k = 0; k < 3; ++k)
    for (auto& r : raw[k]) {
      const auto at = std::lower_bound(d.labels.begin(), d.labels.end(), r.label);
      if (at == d.labels.end() || *at != r.label)
        bad(*files[k].first, r.line, "label '" + r.label + "' is not in the training file " + o.train +
                                         " (its labels: " + joined(d.labels) + ")");
      d.splits[k].push_back({std::move(r.text), static_cast<int>(at - d.labels.begin())});
    }
  return d;
}

std::vector<std::string> label_metric_keys(const std::vector<std::string>& labels) {
  std::vector<std::string> keys;
  std::set<std::string> used;
  for (size_t i = 0; i < labels.size(); ++i) {
    std::string k;
    for (unsigned char c : labels[i]) k += std::isalnum(c) && c < 0x80 ? static_cast<char>(std::tolower(c)) : '_';
    while (!used.insert(k).second) k += "_" + std::to_string(i);
    keys.push_back(k);
  }
  return keys;
}

std::vector<double> balanced_class_weights(const ClassifyData& d) {
  std::vector<double> n(d.labels.size(), 0.0);
  for (const auto& t : d.splits[0]) n[static_cast<size_t>(t.label)] += 1;
  const double total = static_cast<double>(d.splits[0].size()), classes = static_cast<double>(n.size());
  std::vector<double> w;
  // A class absent from train (labels come from train, so only by construction) gets 1.
  for (double c : n) w.push_back(c > 0 ? total / (classes * c) : 1.0);
  return w;
}

std::string describe_classify_data(const ClassifyData& d) {
  std::ostringstream out;
  out << "  data: train " << d.splits[0].size() << ", validation " << d.splits[1].size() << ", test "
      << d.splits[2].size() << " examples; " << d.labels.size() << " labels (train / validation / test):\n";
  std::vector<std::array<int64_t, 3>> counts(d.labels.size(), {0, 0, 0});
  for (int k = 0; k < 3; ++k)
    for (const auto& t : d.splits[k]) ++counts[static_cast<size_t>(t.label)][static_cast<size_t>(k)];
  for (size_t c = 0; c < d.labels.size(); ++c)
    out << "    " << d.labels[c] << ": " << counts[c][0] << " / " << counts[c][1] << " / " << counts[c][2] << "\n";
  const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end(),
                                            [](const auto& a, const auto& b) { return a[0] < b[0]; });
  const double ratio = static_cast<double>((*hi)[0]) / static_cast<double>(std::max<int64_t>(1, (*lo)[0]));
  char line[96];
  std::snprintf(line, sizeof line, "%.1fx", ratio);
  out << "  imbalance: the largest class in train (" << d.labels[static_cast<size_t>(hi - counts.begin())] << ") is "
      << line << " the smallest (" << d.labels[static_cast<size_t>(lo - counts.begin())] << ")";
  // Past 3x, accuracy mostly measures the large classes.
  if (ratio >= 3)
    out << "; macro-F1 (objective.metric: val_f1) weighs every class alike, and task.class_weights: balanced"
           " weighs the training loss by inverse class frequency";
  out << "\n";
  return out.str();
}

}  // namespace mctsnas::torchnas
