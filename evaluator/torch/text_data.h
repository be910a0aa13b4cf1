#pragma once
// Readers for the three text datasets, in the plain forms scripts/fetch-data.sh
// writes (and data/samples/ ships). No LibTorch here: just validated records.
// Every problem is a mctsnas::Error naming the file (and line) and how to get data.
#include <cstdint>
#include <string>
#include <vector>

#include "evaluator/data_split.h"

namespace mctsnas::torchnas {

using mctsnas::Split;
using mctsnas::split_of;
using mctsnas::to_string;

// kjv.txt: one verse per line, plain text.
std::vector<std::string> read_kjv(const std::string& path);

struct Pronunciation {
  std::string word;                  // lower case graphemes
  std::vector<std::string> phones;   // ARPAbet, stress digits removed (39 symbols)
};
// cmudict.tsv: word<TAB>phonemes separated by spaces.
std::vector<Pronunciation> read_cmudict(const std::string& path);
const std::vector<std::string>& arpabet_phones();   // the 39 symbols

struct LabelledText {
  std::string text;   // subject line + body (headers dropped)
  int label = 0;      // 1 = spam
};
// spam.jsonl: one JSON object per line with string fields "group" and "text".
std::vector<LabelledText> read_spam(const std::string& path);

// Resolves a dataset file: <dir>/<file>, where an empty dir means the default cache
// (data/cache of the source tree). Error when missing, saying how to fetch it.
std::string dataset_path(const std::string& dir, const std::string& file);

}  // namespace mctsnas::torchnas
