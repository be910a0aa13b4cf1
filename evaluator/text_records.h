#pragma once
// Reading a user's data files for the text tasks (classify, seq2seq, lm): records of
// named fields from JSONL, CSV or TSV (a header names the columns), and plain UTF-8
// text. No LibTorch here: the cost model reads the training file too (task_dims.h).
// Every problem is a one-line mctsnas::Error naming the file (and line): an unknown
// file type, a file over task.max_file_size, a byte that is not UTF-8, a line that is
// not a JSON object, a missing field or column, an empty field, an empty split.
#include <cstdint>
#include <string>
#include <vector>

namespace mctsnas {

struct RecordField {
  std::string name;            // the JSON key or header column
  const char* key;             // the config key that names it ("task.text_field")
  const char* what;            // for messages: "text", "label", "source", "target"
  bool allow_integer = false;  // JSONL: an integer is read as its digits (labels)
};

struct TextRecord {
  size_t line = 0;                   // where the record starts
  std::vector<std::string> fields;   // in RecordField order; none is blank
};

// Reads a .jsonl, .csv or .tsv file whose config key is `key` ("task.train"); `task`
// names the task kind in "not found" messages. max_file_size: 0 = no cap.
std::vector<TextRecord> read_text_records(const std::string& path, const char* key,
                                          const std::vector<RecordField>& fields, int64_t max_file_size,
                                          const std::string& task);

// A whole UTF-8 text file (lm), with the same checks: found, within the cap, UTF-8,
// not blank.
std::string read_text_file(const std::string& path, const char* key, int64_t max_file_size, const std::string& task);

// Throws "PATH:LINE: WHAT".
[[noreturn]] void bad_record(const std::string& path, size_t line, const std::string& what);

}  // namespace mctsnas
