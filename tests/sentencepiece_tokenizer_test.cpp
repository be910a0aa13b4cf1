// task.tokenizer: sentencepiece (evaluator/sentencepiece_tokenizer.h, text_tokenizer.h):
// a model trained on the training split has the special ids of tokenizer.h and is the
// same each time; a user's model of another layout is remapped; running text's line
// breaks are EOS and come back; the run's cached model is read rather than retrained;
// the user data readers count tokens, not bytes; and bad settings and files are one
// error naming the key or file.
#include <algorithm>

#include "common/error.h"
#include "evaluator/sentencepiece_backend.h"
#include "evaluator/sentencepiece_tokenizer.h"
#include "evaluator/task_dims.h"
#include "evaluator/text_tokenizer.h"
#include "evaluator/user_text_data.h"
#include "test_util.h"

#include <catch2/catch.hpp>

using namespace mctsnas;

namespace {

const std::string kSamples = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples/";

std::vector<std::string> brown_lines() { return test::sample_lines("lm/brown_sentences.txt"); }

SentencePieceOptions pieces(int vocab, const std::string& type = "unigram") {
  SentencePieceOptions o;
  o.vocab_size = vocab;
  o.model_type = type;
  return o;
}

}  // namespace

TEST_CASE("a trained sentencepiece model: our special ids, the same model every time", "[sentencepiece]") {
  const auto lines = brown_lines();
  for (const std::string type : {"unigram", "bpe"}) {
    DYNAMIC_SECTION(type) {
      const std::string model = SentencePieceTokenizer::train(lines, pieces(300, type));
      CHECK(SentencePieceTokenizer::train(lines, pieces(300, type)) == model);
      const SentencePieceTokenizer t(model, "m");
      CHECK(t.size() == 300);
      CHECK(t.offset() == 0);
      const std::string text = "The jury said the election was conducted";
      const auto ids = t.ids(text);
      CHECK(ids.size() < text.size() / 2);   // subwords, not bytes
      CHECK(std::all_of(ids.begin(), ids.end(), [](int64_t id) { return id >= Tokenizer::kFirst && id < 300; }));
      CHECK(t.text(ids) == text);
      CHECK(count_unknown(ids) == 0);
      CHECK(count_unknown(t.ids("\xe2\x82\xac")) == 1);   // a character the training text never had
      // Running text: each line break an EOS, and back.
      const std::string running = "The jury said.\nIt was conducted.\n";
      const auto stream = t.stream_ids(running);
      CHECK(std::count(stream.begin(), stream.end(), Tokenizer::kEos) == 2);
      CHECK(stream.back() == Tokenizer::kEos);
      CHECK(t.text(stream) == running);
    }
  }
  CHECK(SentencePieceTokenizer::train(lines, pieces(300, "unigram")) !=
        SentencePieceTokenizer::train(lines, pieces(300, "bpe")));
}

TEST_CASE("a user's sentencepiece model of another layout is remapped after the special ids", "[sentencepiece]") {
  // spm_train's default layout: UNK 0, BOS 1, EOS 2, no padding.
  std::string model;
  const auto why = make_sentencepiece_backend()->train(
      brown_lines(), {{"vocab_size", "200"}, {"minloglevel", "1"}, {"num_threads", "1"}}, 1, &model);
  REQUIRE(why.empty());
  const SentencePieceTokenizer t(model, "user.model");
  CHECK(t.offset() == Tokenizer::kFirst);
  CHECK(t.size() == 200 + Tokenizer::kFirst);
  const auto ids = t.ids("the jury \xe2\x82\xac");
  CHECK(std::count(ids.begin(), ids.end(), Tokenizer::kUnk) == 1);
  CHECK(std::all_of(ids.begin(), ids.end(), [](int64_t id) { return id == Tokenizer::kUnk || id >= Tokenizer::kFirst; }));
  CHECK(t.text(t.ids("the jury said")) == "the jury said");
}

TEST_CASE("make_tokenizer: char, a trained model, the run cache, a model of the user", "[sentencepiece]") {
  test::TempDir d("spm");
  TaskOptions o;
  o.kind = "lm";
  const std::string text = "the cat sat on the mat\nthe dog sat on the log\n";
  CHECK(make_tokenizer(o, {text})->kind() == "char");
  o.tokenizer = "sentencepiece";
  o.sentencepiece = pieces(19);   // all this short text can fill
  const auto trained = make_tokenizer(o, {text});
  REQUIRE(trained->kind() == "sentencepiece");
  const auto& bytes = dynamic_cast<const SentencePieceTokenizer&>(*trained).serialized();

  // A cache that exists is read, not retrained (this one is a larger model).
  const auto big = SentencePieceTokenizer::train(brown_lines(), pieces(300));
  o.tokenizer_cache = d.write("tokenizer.model", big).string();
  CHECK(make_tokenizer(o, {text})->size() == 300);
  o.tokenizer_cache = (d / "absent.model").string();
  CHECK(dynamic_cast<const SentencePieceTokenizer&>(*make_tokenizer(o, {text})).serialized() == bytes);
  CHECK_FALSE(std::filesystem::exists(o.tokenizer_cache));   // the run writes it (Evaluator::run_files)

  o.sentencepiece.model = (d / "tokenizer.model").string();
  CHECK(make_tokenizer(o, {text})->size() == 300);
  o.sentencepiece.model = (d / "none.model").string();
  test::check_refused([&] { make_tokenizer(o, {text}); }, "task.sentencepiece.model: ");
  o.sentencepiece.model = d.write("bad.model", "not a model").string();
  test::check_refused([&] { make_tokenizer(o, {text}); }, o.sentencepiece.model + ": not a SentencePiece model");
  o.sentencepiece.model.clear();
  o.tokenizer_cache.clear();
  o.sentencepiece.vocab_size = 5000;
  test::check_refused([&] { make_tokenizer(o, {text}); }, "task.sentencepiece.vocab_size 5000: training a unigram model");
  test::check_refused([&] { make_tokenizer(o, {" \n\n"}); }, "task.sentencepiece: the training split holds no text");
}

TEST_CASE("the user data readers count sentencepiece tokens", "[sentencepiece][user_data]") {
  TaskOptions lm;
  lm.kind = "lm";
  lm.train = kSamples + "lm/brown_sentences.txt";
  lm.tokenizer = "sentencepiece";
  lm.sentencepiece = pieces(400);
  const auto data = read_lm_data(lm);
  CHECK(data.tokenizer->size() == 400);
  CHECK(static_cast<double>(data.tokens[0].size()) < 0.7 * static_cast<double>(data.bytes[0]));   // subwords
  CHECK(std::count(data.tokens[0].begin(), data.tokens[0].end(), Tokenizer::kEos) > 600);   // one a line
  CHECK_THAT(describe_lm_data(data), Catch::Contains("vocabulary: 400 sentencepiece ids"));
  CHECK(task_model_dims(lm)->tgt_vocab == 400);

  TaskOptions s2s;
  s2s.kind = "seq2seq";
  s2s.train = kSamples + "seq2seq/train.tsv";
  s2s.validation = kSamples + "seq2seq/validation.csv";
  s2s.test = kSamples + "seq2seq/test.jsonl";
  s2s.max_len = 40;
  s2s.tokenizer = "sentencepiece";
  s2s.sentencepiece = pieces(120);
  auto pairs = read_seq2seq_data(s2s);
  CHECK(pairs.source == pairs.target);   // one model of both sides
  CHECK(pairs.too_long[0] == 0);
  CHECK_THAT(describe_seq2seq_data(pairs, 40), Catch::Contains("vocabulary: 120 sentencepiece ids (source and target)"));
  s2s.max_len = 8;   // in tokens
  pairs = read_seq2seq_data(s2s);
  CHECK(pairs.too_long[0] > 0);
  for (const auto& p : pairs.splits[0]) CHECK((p.source.size() <= 8 && p.target.size() <= 7));
  CHECK(task_model_dims(s2s)->src_vocab == 120);

  TaskOptions classify;
  classify.kind = "classify";
  classify.train = kSamples + "brown_genres/train.jsonl";
  classify.tokenizer = "sentencepiece";
  classify.sentencepiece = pieces(500);
  const auto n = classify_sizes(classify);
  CHECK(n.labels == 15);
  CHECK(n.vocab == 500);
  CHECK(task_model_dims(classify)->src_vocab == 500);
  classify.tokenizer = "char";
  CHECK(task_model_dims(classify)->src_vocab == 257);
}
