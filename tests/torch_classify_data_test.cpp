// task.kind classify on a user's files (evaluator/torch/classify_data.h): JSONL, CSV
// and TSV read the same records, labels are strings in sorted order, each kind of bad
// data is a one-line error naming file:line, and the built-in spam data is unchanged.
// The records are real: messages of the shipped SpamAssassin sample, labelled by their
// sub-corpus ("easy-ham-1", "easy-ham-2", "spam-1", "spam-2": 4 classes).
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "evaluator/torch/classify_data.h"
#include "test_util.h"

#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;

namespace {

struct Record {
  std::string text, label;
};

// The sample's messages (first 400 bytes of each, cut at a UTF-8 boundary), split
// as message i % 10: 8 validation, 9 test, else train.
std::vector<Record> sample_split(int split) {
  std::ifstream in(std::string(MCTSNAS_SOURCE_DIR) + "/data/samples/spam.jsonl");
  std::vector<Record> out;
  std::string line;
  for (int i = 0; std::getline(in, line); ++i) {
    const int s = i % 10 == 8 ? 1 : i % 10 == 9 ? 2 : 0;
    if (s != split) continue;
    const auto j = nlohmann::json::parse(line);
    std::string text = j.at("text").get<std::string>().substr(0, 400);
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
    out.push_back({text, j.at("group").get<std::string>()});
  }
  return out;
}

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string write_records(const std::vector<Record>& rs, const std::string& ext) {
  std::string out;
  if (ext == "jsonl") {
    for (const auto& r : rs) out += nlohmann::json{{"text", r.text}, {"label", r.label}}.dump() + "\n";
    return out;
  }
  const std::string sep = ext == "csv" ? "," : "\t";
  out = "id" + sep + "text" + sep + "label\n";
  for (size_t i = 0; i < rs.size(); ++i) out += std::to_string(i) + sep + quoted(rs[i].text) + sep + rs[i].label + "\n";
  return out;
}

TaskOptions files_task(const test::TempDir& d, const std::string& ext) {
  TaskOptions o;
  o.kind = "classify";
  o.train = d.write("train." + ext, write_records(sample_split(0), ext)).string();
  o.validation = d.write("validation." + ext, write_records(sample_split(1), ext)).string();
  o.test = d.write("test." + ext, write_records(sample_split(2), ext)).string();
  return o;
}

}  // namespace

TEST_CASE("classify reads JSONL, CSV and TSV alike, with string labels in sorted order", "[torch][classify]") {
  test::TempDir d("classify");
  const std::vector<std::string> labels = {"easy-ham-1", "easy-ham-2", "spam-1", "spam-2"};
  std::vector<ClassifyData> read;
  for (const std::string ext : {"jsonl", "csv", "tsv"}) {
    INFO(ext);
    read.push_back(read_classify_data(files_task(d, ext)));
    const auto& data = read.back();
    CHECK(data.labels == labels);
    for (int s = 0; s < 3; ++s) {
      const auto expected = sample_split(s);
      REQUIRE(data.splits[s].size() == expected.size());
      for (size_t i = 0; i < expected.size(); ++i) {
        CHECK(data.splits[s][i].text == expected[i].text);
        CHECK(labels.at(static_cast<size_t>(data.splits[s][i].label)) == expected[i].label);
      }
    }
  }
  // The quoted CSV/TSV fields hold the messages' commas, quotes and newlines.
  CHECK(read[0].splits[0][0].text.find('\n') != std::string::npos);
  const auto summary = describe_classify_data(read[1]);
  CHECK_THAT(summary, Catch::Contains("train 64, validation 8, test 8 examples; 4 labels"));
  CHECK_THAT(summary, Catch::Contains("    easy-ham-1: "));

  SECTION("the text and label fields are configurable") {
    TaskOptions o = files_task(d, "csv");
    o.text_field = "id";
    o.label_field = "label";
    const auto data = read_classify_data(o);
    CHECK(data.splits[0][1].text == "1");
  }
}

TEST_CASE("classify's built-in spam data: labels ham and spam, the fixed 90/5/5 split", "[torch][classify]") {
  TaskOptions o;
  o.kind = "classify";
  o.data = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples";
  const auto data = read_classify_data(o);
  CHECK(data.labels == std::vector<std::string>{"ham", "spam"});
  const auto msgs = read_spam(o.data + "/spam.jsonl");
  CHECK(data.splits[0].size() + data.splits[1].size() + data.splits[2].size() == msgs.size());
  CHECK(data.splits[1].size() == msgs.size() / 20);
  CHECK(data.splits[1][0].text == msgs[18].text);
  CHECK(data.splits[1][0].label == msgs[18].label);
}

TEST_CASE("bad classify data is one error naming file:line", "[torch][classify]") {
  test::TempDir d("classify-bad");
  TaskOptions o = files_task(d, "csv");
  auto refused = [&](const std::string& what) {
    try {
      read_classify_data(o);
      FAIL("accepted: " << what);
    } catch (const Error& e) {
      const std::string msg = e.what();
      CHECK_THAT(msg, Catch::Contains(what));
      CHECK(msg.find('\n') == std::string::npos);
    }
  };
  SECTION("a missing JSONL field") {
    o.validation = d.write("v.jsonl", "{\"text\": \"hello\", \"label\": \"spam-1\"}\n\n{\"text\": \"hi\"}\n").string();
    refused(o.validation + ":3: no field \"label\" (task.label_field)");
  }
  SECTION("a missing CSV column") {
    o.label_field = "group";
    refused(o.train + ":1: no column \"group\" (task.label_field) in the header (its columns: id, text, label)");
  }
  SECTION("a row with too few fields") {
    o.test = d.write("t.csv", "text,label\nhello,spam-1\nhi\n").string();
    refused(o.test + ":3: 1 fields, the header has 2");
  }
  SECTION("an empty text") {
    o.test = d.write("t.tsv", "text\tlabel\nhello\tspam-1\n  \tspam-2\n").string();
    refused(o.test + ":3: empty text");
  }
  SECTION("an empty label") {
    o.test = d.write("t.jsonl", "{\"text\": \"hello\", \"label\": \"\"}\n").string();
    refused(o.test + ":1: empty label");
  }
  SECTION("a label seen only in the test file") {
    o.test = d.write("t.csv", "text,label\nhello,spam-1\nhi,eggs\n").string();
    refused(o.test + ":3: label 'eggs' is not in the training file " + o.train);
  }
  SECTION("a byte that is not UTF-8") {
    o.validation = d.write("v.csv", "text,label\nhello,spam-1\nna\xefve,spam-2\n").string();
    refused(o.validation + ":3: byte 0xEF is not UTF-8");
  }
  SECTION("an empty split") {
    o.validation = d.write("v.csv", "text,label\n").string();
    refused(o.validation + ": no records (task.validation is an empty split)");
  }
  SECTION("a file over task.max_file_size") {
    o.max_file_size = 1000;
    refused(o.train + ": " + std::to_string(std::filesystem::file_size(o.train)) + " bytes, over task.max_file_size");
  }
  SECTION("one label only") {
    o.train = d.write("one.jsonl", "{\"text\": \"hello\", \"label\": \"spam-1\"}\n").string();
    refused(o.train + ": every record has the label 'spam-1'; classify needs at least 2 labels");
  }
  SECTION("an unknown file type, a missing file") {
    o.test = d.write("t.txt", "hello\n").string();
    refused(o.test + ": task.test: unknown file type '.txt'");
    o.test = (d.path() / "absent.csv").string();
    refused(o.test + ": not found (task.test");
  }
}

TEST_CASE("per-class metric keys are sanitized and unique", "[torch][classify]") {
  CHECK(label_metric_keys({"Easy Ham", "spam-1", "ünï"}) == std::vector<std::string>{"easy_ham", "spam_1", "__n__"});
  CHECK(label_metric_keys({"a-b", "a b", "a_b"}) == std::vector<std::string>{"a_b", "a_b_1", "a_b_2"});
}

namespace {

TaskOptions shipped(const std::string& dir) {
  TaskOptions o;
  o.kind = "classify";
  const std::string base = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples/" + dir + "/";
  o.train = base + "train.jsonl";
  o.validation = base + "validation.jsonl";
  o.test = base + "test.jsonl";
  return o;
}

// The "domain" field of each record of a shipped sentiment split.
std::set<std::string> domains(const std::string& file) {
  std::ifstream in(std::string(MCTSNAS_SOURCE_DIR) + "/data/samples/sentiment/" + file);
  std::set<std::string> out;
  for (std::string line; std::getline(in, line);) out.insert(nlohmann::json::parse(line).at("domain"));
  return out;
}

}  // namespace

TEST_CASE("the shipped sentiment splits: cross-domain tests on a site the search never sees", "[classify_data]") {
  const auto cross = read_classify_data(shipped("sentiment/cross_domain"));
  CHECK(cross.labels == std::vector<std::string>{"negative", "positive"});
  CHECK(cross.splits[0].size() == 1800);
  CHECK(cross.splits[1].size() == 200);
  CHECK(cross.splits[2].size() == 1000);
  CHECK(domains("cross_domain/train.jsonl") == std::set<std::string>{"amazon", "imdb"});
  CHECK(domains("cross_domain/validation.jsonl") == std::set<std::string>{"amazon", "imdb"});
  CHECK(domains("cross_domain/test.jsonl") == std::set<std::string>{"yelp"});
  const auto in = read_classify_data(shipped("sentiment/in_domain"));
  CHECK(in.splits[0].size() + in.splits[1].size() + in.splits[2].size() == 3000);
  for (const char* f : {"in_domain/train.jsonl", "in_domain/validation.jsonl", "in_domain/test.jsonl"})
    CHECK(domains(f) == std::set<std::string>{"amazon", "imdb", "yelp"});
}

TEST_CASE("the intent stand-in: 15 Brown genres, unevenly sized, the imbalance reported", "[classify_data]") {
  const auto d = read_classify_data(shipped("brown_genres"));
  REQUIRE(d.labels.size() == 15);
  const auto summary = describe_classify_data(d);
  CHECK_THAT(summary, Catch::Contains("    science_fiction: 40 / 4 / 4"));
  CHECK_THAT(summary, Catch::Contains("imbalance: the largest class in train (learned) is 7.8x the smallest "
                                      "(science_fiction); macro-F1"));
  const auto w = balanced_class_weights(d);
  // n / (classes * n_c): 2310 / (15 * 40) for science fiction, 2310 / (15 * 311) for learned.
  CHECK(w[static_cast<size_t>(std::find(d.labels.begin(), d.labels.end(), "science_fiction") - d.labels.begin())] ==
        Approx(2310.0 / 600));
  CHECK(w[static_cast<size_t>(std::find(d.labels.begin(), d.labels.end(), "learned") - d.labels.begin())] ==
        Approx(2310.0 / (15 * 311)));
  double mean = 0;
  for (const auto& t : d.splits[0]) mean += w[static_cast<size_t>(t.label)];
  CHECK(mean / static_cast<double>(d.splits[0].size()) == Approx(1.0));
  // Balanced classes: no advice.
  CHECK_THAT(describe_classify_data(read_classify_data(shipped("sentiment/in_domain"))),
             !Catch::Contains("macro-F1") && Catch::Contains("imbalance: the largest class in train"));
}
