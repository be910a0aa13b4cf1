// A user's seq2seq and lm files (evaluator/user_text_data.h) and the char tokenizer
// (char_vocab.h): JSONL, CSV and TSV read the same pairs, vocabularies come from the
// training split, an unseen byte reads as UNK, long pairs are left out and counted,
// each kind of bad data is one error naming file:line, and the cost model's
// vocabulary sizes (task_dims.h) are the data's. The pairs are the shipped sample
// (data/samples/seq2seq: CMU dict words -> ARPAbet with stress, as characters).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "evaluator/char_vocab.h"
#include "evaluator/task_dims.h"
#include "evaluator/user_text_data.h"
#include "test_util.h"

#include <catch2/catch.hpp>

using namespace mctsnas;

namespace {

const std::string kSamples = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples/";

TaskOptions shipped_seq2seq() {
  TaskOptions o;
  o.kind = "seq2seq";
  o.train = kSamples + "seq2seq/train.tsv";
  o.validation = kSamples + "seq2seq/validation.csv";
  o.test = kSamples + "seq2seq/test.jsonl";
  o.max_len = 40;
  return o;
}

struct TextPair {
  std::string source, target;
};

// The pairs of a split as text (the char tokenizer reads every training byte back).
std::vector<TextPair> texts(const Seq2seqData& d, int split) {
  std::vector<TextPair> out;
  for (const auto& p : d.splits[split]) out.push_back({d.source->text(p.source), d.target->text(p.target)});
  return out;
}

const CharVocab& chars(const std::shared_ptr<const Tokenizer>& t) { return dynamic_cast<const CharVocab&>(*t); }

size_t unknown_ids(const std::vector<int64_t>& ids) {
  return static_cast<size_t>(std::count(ids.begin(), ids.end(), Tokenizer::kUnk));
}

std::string write_pairs(const std::vector<TextPair>& ps, const std::string& ext) {
  std::string out;
  if (ext == "jsonl") {
    for (const auto& p : ps) out += nlohmann::json{{"src", p.source}, {"tgt", p.target}}.dump() + "\n";
    return out;
  }
  const std::string sep = ext == "csv" ? "," : "\t";
  out = "tgt" + sep + "src\n";
  for (const auto& p : ps) out += "\"" + p.target + "\"" + sep + "\"" + p.source + "\"\n";
  return out;
}

}  // namespace

TEST_CASE("CharVocab numbers the training bytes after pad, BOS, EOS and UNK", "[user_data]") {
  CharVocab v;
  CHECK(v.size() == 4);
  v.learn("cab");
  v.learn("bad");
  CHECK(v.bytes() == "abcd");
  CHECK(v.size() == 8);
  CHECK(v.ids("dab") == std::vector<int64_t>{7, 4, 5});
  CHECK(v.id('z') == CharVocab::kUnk);
  CHECK(count_unknown(v.ids("a zebra")) == 4);   // ' ', 'z', 'e', 'r'; 'a' and 'b' are known
}

TEST_CASE("seq2seq reads JSONL, CSV and TSV alike; vocabularies from train, unseen bytes as UNK", "[user_data]") {
  const auto shipped = read_seq2seq_data(shipped_seq2seq());
  REQUIRE(shipped.splits[0].size() == 327);
  REQUIRE(shipped.splits[1].size() == 40);
  REQUIRE(shipped.splits[2].size() == 40);
  CHECK(texts(shipped, 1)[0].source == "alessandro");
  CHECK(texts(shipped, 1)[0].target == "AA0 L EY0 Z AA1 N D R OW0");
  CHECK(chars(shipped.target).bytes().find('0') != std::string::npos);
  CHECK(shipped.source != shipped.target);   // char: a vocabulary of each side

  test::TempDir d("seq2seq");
  std::vector<Seq2seqData> read;
  for (const std::string ext : {"jsonl", "csv", "tsv"}) {
    INFO(ext);
    TaskOptions o = shipped_seq2seq();
    o.source_field = "src";
    o.target_field = "tgt";
    o.train = d.write("train." + ext, write_pairs(texts(shipped, 0), ext)).string();
    o.validation = d.write("validation." + ext, write_pairs(texts(shipped, 1), ext)).string();
    o.test = d.write("test." + ext, write_pairs(texts(shipped, 2), ext)).string();
    read.push_back(read_seq2seq_data(o));
    for (int s = 0; s < 3; ++s) {
      REQUIRE(read.back().splits[s].size() == shipped.splits[s].size());
      for (size_t i = 0; i < shipped.splits[s].size(); ++i) {
        CHECK(read.back().splits[s][i].source == shipped.splits[s][i].source);
        CHECK(read.back().splits[s][i].target == shipped.splits[s][i].target);
      }
    }
    CHECK(chars(read.back().source).bytes() == chars(shipped.source).bytes());
    CHECK(chars(read.back().target).bytes() == chars(shipped.target).bytes());
  }

  SECTION("a byte only validation uses reads as UNK, and validate says how many") {
    TaskOptions o = shipped_seq2seq();
    o.validation = d.write("v.jsonl", "{\"source\": \"na\xc3\xafve\", \"target\": \"N AY2 IY1 V\"}\n").string();
    const auto data = read_seq2seq_data(o);
    CHECK(unknown_ids(data.splits[1][0].source) == 2);   // the two bytes of 'ï'
    CHECK(data.source->ids("\xc3\xaf") == std::vector<int64_t>{CharVocab::kUnk, CharVocab::kUnk});
    CHECK_THAT(describe_seq2seq_data(data, o.max_len),
               Catch::Contains("read as UNK: validation 2 source / 0 target, test 0 source / 0 target"));
  }
  SECTION("pairs longer than max_len tokens are left out and counted") {
    TaskOptions o = shipped_seq2seq();
    o.max_len = 12;
    const auto data = read_seq2seq_data(o);
    size_t expected_left_out = 0;
    for (const auto& p : texts(shipped, 0)) expected_left_out += p.source.size() > 12 || p.target.size() > 11;
    CHECK(expected_left_out > 0);
    CHECK(data.too_long[0] == expected_left_out);
    CHECK(data.splits[0].size() == shipped.splits[0].size() - expected_left_out);
    for (const auto& p : data.splits[0]) CHECK(p.target.size() <= 11);
    CHECK_THAT(describe_seq2seq_data(data, o.max_len), Catch::Contains("left out: " + std::to_string(expected_left_out)));
    o.max_len = 4;
    test::check_refused([&] { read_seq2seq_data(o); }, o.train + ": every pair is longer than task.max_len (4");
  }
  CHECK_THAT(describe_seq2seq_data(shipped, 40),
             Catch::Contains("data: train 327, validation 40, test 40 pairs; vocabulary: source " +
                             std::to_string(chars(shipped.source).bytes().size()) + " bytes of train, target "));
}

TEST_CASE("bad seq2seq data is one error naming file:line", "[user_data]") {
  test::TempDir d("seq2seq-bad");
  TaskOptions o = shipped_seq2seq();
  auto read = [&] { read_seq2seq_data(o); };
  SECTION("a missing JSONL field") {
    o.test = d.write("t.jsonl", "{\"source\": \"a\", \"target\": \"AH0\"}\n{\"source\": \"b\"}\n").string();
    test::check_refused(read, o.test + ":2: no field \"target\" (task.target_field)");
  }
  SECTION("a missing CSV column") {
    o.source_field = "word";
    test::check_refused(read, o.train + ":1: no column \"word\" (task.source_field) in the header (its columns: source, target)");
  }
  SECTION("an empty source, an empty target") {
    o.validation = d.write("v.csv", "source,target\nab,AE1 B\n  ,B IY1\n").string();
    test::check_refused(read, o.validation + ":3: empty source (task.source_field \"source\")");
    o.validation = d.write("v.tsv", "source\ttarget\nab\t\n").string();
    test::check_refused(read, o.validation + ":2: empty target (task.target_field \"target\")");
  }
  SECTION("a byte that is not UTF-8") {
    o.validation = d.write("v.csv", "source,target\nab,AE1 B\nna\xefve,N AY1 V\n").string();
    test::check_refused(read, o.validation + ":3: byte 0xEF is not UTF-8");
  }
  SECTION("an empty split") {
    o.test = d.write("t.jsonl", "\n").string();
    test::check_refused(read, o.test + ": no records (task.test is an empty split)");
  }
  SECTION("a file over task.max_file_size") {
    o.max_file_size = 1000;
    test::check_refused(read, o.train + ": " + std::to_string(std::filesystem::file_size(o.train)) + " bytes, over task.max_file_size");
  }
  SECTION("an unknown file type, a missing file") {
    o.test = d.write("t.txt", "a\n").string();
    test::check_refused(read, o.test + ": task.test: unknown file type '.txt'");
    o.test = (d.path() / "absent.csv").string();
    test::check_refused(read, o.test + ": not found (task.test, a seq2seq data file)");
  }
}

TEST_CASE("lm on a user's text: the lines of train split by split_of, or three files", "[user_data]") {
  TaskOptions o;
  o.kind = "lm";
  o.train = kSamples + "lm/brown_sentences.txt";
  const auto data = read_lm_data(o);
  std::ifstream in(o.train);
  std::string expected[3], line;
  for (size_t i = 0; std::getline(in, line); ++i) expected[static_cast<int>(split_of(i))] += line + "\n";
  for (int s = 0; s < 3; ++s) CHECK(data.bytes[s] == expected[s].size());
  const std::vector<int64_t> train_ids(data.tokens[0].begin(), data.tokens[0].end());
  CHECK(data.tokenizer->text(train_ids) == expected[0]);   // char: one token a byte
  CHECK(data.tokens[1].size() == expected[1].size());
  CHECK(data.bytes[1] > 1000);
  CHECK(chars(data.tokenizer).bytes().find('e') != std::string::npos);
  CHECK_THAT(describe_lm_data(data), Catch::Contains("data: train " + std::to_string(expected[0].size()) + ", validation "));

  test::TempDir d("lm");
  SECTION("validation and test files, an unseen byte as UNK") {
    o.train = d.write("train.txt", "the cat sat on the mat\nthe dog sat on the log\n").string();
    o.validation = d.write("v.txt", "the cat sat on the log\n").string();
    o.test = d.write("t.txt", "the z\xc3\xa9" "bra sat on the mat\n").string();
    o.max_len = 8;
    const auto files = read_lm_data(o);
    CHECK(files.bytes[2] == std::string("the z\xc3\xa9" "bra sat on the mat\n").size());
    CHECK(std::count(files.tokens[2].begin(), files.tokens[2].end(), Tokenizer::kUnk) == 5);   // z, é's two bytes, b, r
    CHECK_THAT(describe_lm_data(files), Catch::Contains("read as UNK: validation 0, test 5"));
    CHECK(task_model_dims(o)->tgt_vocab == CharVocab::kFirst + static_cast<int64_t>(chars(files.tokenizer).bytes().size()));
  }
  SECTION("bad text: not UTF-8, over the cap, empty, a split shorter than a window") {
    o.train = d.write("bad.txt", "fine\nna\xefve\n").string();
    test::check_refused([&] { read_lm_data(o); }, o.train + ":2: byte 0xEF is not UTF-8");
    o.train = kSamples + "lm/brown_sentences.txt";
    o.max_file_size = 1000;
    test::check_refused([&] { read_lm_data(o); }, " bytes, over task.max_file_size");
    o.max_file_size = 0;
    o.train = d.write("empty.txt", "\n \n").string();
    test::check_refused([&] { read_lm_data(o); }, o.train + ": no text (task.train is an empty split)");
    o.train = d.write("short.txt", "a few lines\nof text\n").string();
    test::check_refused([&] { read_lm_data(o); }, o.train + ": the train split holds 20 tokens, fewer than task.max_len + 2 (34); without task.validation");
  }
}

TEST_CASE("the cost model counts the user data's vocabularies and labels", "[user_data][constraints]") {
  auto s2s = shipped_seq2seq();
  const auto data = read_seq2seq_data(s2s);
  const auto dims = task_model_dims(s2s);
  REQUIRE(dims);
  CHECK(dims->src_vocab == 4 + static_cast<int64_t>(chars(data.source).bytes().size()));
  CHECK(dims->tgt_vocab == 4 + static_cast<int64_t>(chars(data.target).bytes().size()));
  CHECK(dims->flop_src_len == 40);

  TaskOptions classify;
  classify.kind = "classify";
  CHECK(task_model_dims(classify)->num_classes == 2);   // the built-in spam data
  classify.train = kSamples + "brown_genres/train.jsonl";
  CHECK(task_model_dims(classify)->num_classes == 15);   // the Brown genres
}
