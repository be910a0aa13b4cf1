#include "evaluator/torch/text_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"

#ifndef MCTSNAS_DATA_DIR
#define MCTSNAS_DATA_DIR "data"
#endif

namespace mctsnas::torchnas {
namespace {

const char* kFetchHint = "run scripts/fetch-data.sh (or set task.data: data/samples for the small shipped sample)";

std::ifstream open_data(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("data file " + path + " cannot be read; " + kFetchHint);
  return in;
}

[[noreturn]] void bad_line(const std::string& path, size_t line, const std::string& what) {
  throw Error(path + ":" + std::to_string(line) + ": " + what + " (is it the file scripts/fetch-data.sh writes?)");
}

void strip_cr(std::string& s) {
  if (!s.empty() && s.back() == '\r') s.pop_back();
}

}  // namespace

std::string dataset_path(const std::string& dir, const std::string& file) {
  const std::filesystem::path base = dir.empty() ? std::filesystem::path(MCTSNAS_DATA_DIR) / "cache" : std::filesystem::path(dir);
  const auto p = base / file;
  if (!std::filesystem::exists(p))
    throw Error("data file " + p.string() + " not found; " + kFetchHint);
  return p.string();
}

std::vector<std::string> read_kjv(const std::string& path) {
  auto in = open_data(path);
  std::vector<std::string> verses;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    strip_cr(line);
    if (line.empty()) bad_line(path, n, "empty line; expected one verse per line");
    if (line.size() > 4000) bad_line(path, n, "line of " + std::to_string(line.size()) + " bytes; expected one verse per line");
    for (unsigned char c : line)
      if (c < 32 && c != '\t') bad_line(path, n, "control byte " + std::to_string(int(c)) + "; expected plain text");
    verses.push_back(line);
  }
  if (verses.size() < 40) throw Error("data file " + path + " holds " + std::to_string(verses.size()) + " verses, too few for train/val/test splits; " + kFetchHint);
  return verses;
}

const std::vector<std::string>& arpabet_phones() {
  static const std::vector<std::string> phones = {
      "AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH", "EH", "ER", "EY",
      "F",  "G",  "HH", "IH", "IY", "JH", "K",  "L",  "M",  "N",  "NG", "OW", "OY",
      "P",  "R",  "S",  "SH", "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};
  return phones;
}

std::vector<Pronunciation> read_cmudict(const std::string& path) {
  auto in = open_data(path);
  const auto& known = arpabet_phones();
  std::vector<Pronunciation> out;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    strip_cr(line);
    // CMUdict annotates some entries with a trailing comment: "aalborg\tAO1 L B AO0 R G # place, danish".
    if (auto hash = line.find(" #"); hash != std::string::npos) line.resize(hash);
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab == 0) bad_line(path, n, "expected word<TAB>phonemes");
    Pronunciation p;
    p.word = line.substr(0, tab);
    size_t pos = tab + 1;
    while (pos < line.size()) {
      size_t end = line.find(' ', pos);
      if (end == std::string::npos) end = line.size();
      std::string ph = line.substr(pos, end - pos);
      while (!ph.empty() && ph.back() >= '0' && ph.back() <= '2') ph.pop_back();  // stress
      if (!ph.empty()) {
        if (std::find(known.begin(), known.end(), ph) == known.end())
          bad_line(path, n, "unknown phoneme '" + line.substr(pos, end - pos) + "'; expected ARPAbet");
        p.phones.push_back(ph);
      }
      pos = end + 1;
    }
    if (p.phones.empty()) bad_line(path, n, "word '" + p.word + "' has no phonemes");
    out.push_back(std::move(p));
  }
  if (out.size() < 40) throw Error("data file " + path + " holds " + std::to_string(out.size()) + " words, too few for train/val/test splits; " + kFetchHint);
  return out;
}

std::vector<LabelledText> read_spam(const std::string& path) {
  auto in = open_data(path);
  std::vector<LabelledText> out;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      bad_line(path, n, "not a JSON object");
    }
    if (!j.is_object() || !j.contains("group") || !j["group"].is_string() || !j.contains("text") || !j["text"].is_string())
      bad_line(path, n, "expected an object with string fields \"group\" and \"text\"");
    const std::string group = j["group"].get<std::string>();
    const std::string text = j["text"].get<std::string>();
    LabelledText t;
    t.label = group.rfind("spam", 0) == 0 ? 1 : 0;
    // Headers are mostly routing noise; keep the subject, then the body.
    const auto body = text.find("\n\n");
    std::string subject;
    const auto s = text.find("\nSubject:");
    if (s != std::string::npos && (body == std::string::npos || s < body)) {
      const auto e = text.find('\n', s + 1);
      subject = text.substr(s + 1, e == std::string::npos ? std::string::npos : e - s - 1);
    }
    t.text = subject + "\n" + (body == std::string::npos ? std::string() : text.substr(body + 2));
    out.push_back(std::move(t));
  }
  if (out.size() < 40) throw Error("data file " + path + " holds " + std::to_string(out.size()) + " messages, too few for train/val/test splits; " + kFetchHint);
  std::set<int> labels;
  for (const auto& t : out) labels.insert(t.label);
  if (labels.size() < 2) throw Error("data file " + path + " holds only one class; expected spam-* and ham groups");
  return out;
}

}  // namespace mctsnas::torchnas
