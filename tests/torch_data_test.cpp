// Dataset readers and tasks on the shipped samples (data/samples/) and on bad input.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "evaluator/char_vocab.h"
#include "evaluator/user_text_data.h"
#include "evaluator/torch/classify_data.h"
#include "evaluator/torch/seq_model.h"
#include "evaluator/torch/text_data.h"
#include "evaluator/torch/text_tasks.h"

// LibTorch 2.x (c10/util/Logging.h) defines a glog-style CHECK that would shadow
// Catch's: include Catch last, after dropping it.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;

namespace {

const std::string kSamples = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples";

std::string write_temp(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / ("mctsnas_torch_data_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

TaskOptions task(const std::string& kind, int max_len) {
  TaskOptions o;
  o.kind = kind;
  o.data = kSamples;
  o.max_len = max_len;
  return o;
}

}  // namespace

TEST_CASE("splits are fixed 90/5/5 by record index", "[torch][data]") {
  int counts[3] = {0, 0, 0};
  for (size_t i = 0; i < 2000; ++i) ++counts[static_cast<int>(split_of(i))];
  CHECK(counts[0] == 1800);
  CHECK(counts[1] == 100);
  CHECK(counts[2] == 100);
  CHECK(split_of(18) == Split::val);
  CHECK(split_of(19) == Split::test);
}

TEST_CASE("CMUdict entries with a trailing comment read (the full dictionary has them)", "[torch][data]") {
  std::ifstream sample(kSamples + "/cmudict.tsv");
  std::string text((std::istreambuf_iterator<char>(sample)), std::istreambuf_iterator<char>());
  auto words = read_cmudict(write_temp("comment.tsv", text + "zzaalborg\tAO1 L B AO0 R G # place, danish\n"));
  REQUIRE_FALSE(words.empty());
  CHECK(words.back().word == "zzaalborg");
  CHECK(words.back().phones == std::vector<std::string>{"AO", "L", "B", "AO", "R", "G"});
}

TEST_CASE("the shipped samples read", "[torch][data]") {
  auto verses = read_kjv(kSamples + "/kjv.txt");
  CHECK(verses.size() > 900);
  CHECK(verses[0] == "In the beginning God created the heaven and the earth.");
  auto words = read_cmudict(kSamples + "/cmudict.tsv");
  CHECK(words.size() > 10000);
  const std::vector<std::string> adenine = {"AE", "D", "AH", "N", "IY", "N"};
  bool found = false;
  for (const auto& w : words)
    if (w.word == "adenine") {
      found = true;
      CHECK(w.phones == adenine);
    }
  CHECK(found);
  auto msgs = read_spam(kSamples + "/spam.jsonl");
  CHECK(msgs.size() == 80);
  int spam = 0;
  for (const auto& m : msgs) spam += m.label;
  CHECK(spam == 40);
}

TEST_CASE("malformed data files give an Error naming the file and line", "[torch][data]") {
  auto expect = [](auto fn, const std::string& path, const std::string& needle) {
    try {
      fn(path);
      FAIL("no error for " << path);
    } catch (const Error& e) {
      const std::string msg = e.what();
      INFO(msg);
      CHECK(msg.find(path) != std::string::npos);
      CHECK(msg.find(needle) != std::string::npos);
    }
  };
  expect(read_cmudict, write_temp("bad.tsv", "hello\tHH AH0 L OW1\nworld W ER1 L D\n"), ":2:");
  expect(read_cmudict, write_temp("badph.tsv", "hello\tHH XQ9 L OW1\n"), "unknown phoneme");
  expect(read_spam, write_temp("bad.jsonl", "{\"group\":\"spam-1\",\"text\":\"hi\"}\nnot json\n"), ":2:");
  expect(read_spam, write_temp("bad2.jsonl", "{\"group\":3,\"text\":\"hi\"}\n"), "\"group\"");
  expect(read_kjv, write_temp("bad.txt", "In the beginning\n\nAnd the earth\n"), ":2:");
  expect(read_kjv, write_temp("short.txt", "In the beginning\n"), "too few");
  expect(read_kjv, "/nonexistent/kjv.txt", "fetch-data.sh");
}

TEST_CASE("a missing data directory says how to fetch the data", "[torch][data]") {
  TaskOptions o = task("g2p", 32);
  o.data = "/nonexistent-mctsnas-data";
  try {
    make_text_task(o);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("scripts/fetch-data.sh") != std::string::npos);
  }
}

TEST_CASE("each task makes batches of the right shapes from the sample", "[torch][data]") {
  Rng rng(1);
  auto lm = make_text_task(task("lm", 24));
  auto b = lm->sample_train(4, rng);
  CHECK(b.tgt_in.sizes() == torch::IntArrayRef({4, 24}));
  CHECK(torch::equal(b.tgt_in.slice(1, 1), b.tgt_out.slice(1, 0, 23)));   // shifted by one
  CHECK(lm->metric() == "bpc");

  auto g2p = make_text_task(task("g2p", 24));
  auto g = g2p->sample_train(4, rng);
  CHECK(g.src.size(0) == 4);
  CHECK(g.tgt_in.sizes() == g.tgt_out.sizes());
  CHECK((g.tgt_in.select(1, 0) == 1).all().item<bool>());   // BOS
  CHECK(g2p->size(Split::val) > 500);

  auto cls = make_text_task(task("classify", 64));
  auto c = cls->sample_train(4, rng);
  CHECK(c.src.size(1) <= 64);
  CHECK(c.labels.sizes() == torch::IntArrayRef({4}));
}

TEST_CASE("task.class_weights: balanced weighs each example's loss by its class's inverse frequency",
          "[torch][data]") {
  TaskOptions o;
  o.kind = "classify";
  o.max_len = 48;
  const std::string base = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples/brown_genres/";
  o.train = base + "train.jsonl";
  o.validation = base + "validation.jsonl";
  o.test = base + "test.jsonl";
  auto plain = make_text_task(o);
  o.class_weights = "balanced";
  auto weighted = make_text_task(o);
  torch::manual_seed(0);
  ModelSpec spec;
  spec.arch.model = "encoder_only";
  spec.arch.d_model = 16;
  spec.arch.encoder_layers = 1;
  spec.arch.encoder.nodes.push_back({{{0, "ffn"}}});
  auto model = build_model(spec, plain->shape());
  Rng rng(3);
  const auto b = plain->sample_train(64, rng);
  const auto logits = model->classify(b.src, b.src_pad);
  const auto each = torch::nn::functional::cross_entropy(
      logits, b.labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  const double unweighted = plain->loss(model, b).item<double>();
  CHECK(unweighted == Approx(each.mean().item<double>()).epsilon(1e-5));
  // The weighted mean sum_i w[y_i] ce_i / sum_i w[y_i], weights from the train split's counts.
  const auto w = torch::tensor(balanced_class_weights(read_classify_data(o))).to(torch::kFloat).index({b.labels});
  const double expected = ((w * each).sum() / w.sum()).item<double>();
  CHECK(weighted->loss(model, b).item<double>() == Approx(expected).epsilon(1e-5));
  CHECK(expected != Approx(unweighted).epsilon(1e-3));
}

TEST_CASE("serving a G2P model is a whole greedy decode, a classifier one forward", "[torch][data]") {
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  auto model_for = [](const TextTask& t, const std::string& kind) {
    ModelSpec spec;
    spec.arch.model = kind;
    spec.arch.d_model = 32;
    spec.arch.encoder_layers = 1;
    spec.arch.decoder_layers = kind == "encoder_only" ? 0 : 1;
    spec.transformer_baseline = true;
    auto m = build_model(spec, t.shape());
    m->eval();
    return m;
  };
  auto g2p = make_text_task(task("g2p", 24));
  auto m = model_for(*g2p, "encoder_decoder");
  // BOS + all 23 decoding steps, whatever the untrained model emits (the latency
  // figure must not depend on when it happens to say EOS).
  CHECK(g2p->infer(m, g2p->example_batch(3)).sizes() == torch::IntArrayRef({3, 24}));

  auto cls = make_text_task(task("classify", 64));
  auto c = model_for(*cls, "encoder_only");
  CHECK(cls->infer(c, cls->example_batch(3)).sizes() == torch::IntArrayRef({3, cls->shape().num_classes}));
}

TEST_CASE("edit distance", "[torch][data]") {
  CHECK(edit_distance({1, 2, 3}, {1, 2, 3}) == 0);
  CHECK(edit_distance({1, 3}, {1, 2, 3}) == 1);
  CHECK(edit_distance({}, {1, 2}) == 2);
  CHECK(edit_distance({4, 5, 6}, {1, 2, 3}) == 3);
}

TEST_CASE("seq2seq and lm on a user's files: char ids from the training vocabulary, the task's metrics",
          "[torch][data][user_data]") {
  Rng rng(1);
  TaskOptions o;
  o.kind = "seq2seq";
  o.train = kSamples + "/seq2seq/train.tsv";
  o.validation = kSamples + "/seq2seq/validation.csv";
  o.test = kSamples + "/seq2seq/test.jsonl";
  o.max_len = 36;
  auto s2s = make_text_task(o);
  REQUIRE(s2s->source_vocab());
  REQUIRE(s2s->target_vocab());
  CHECK(s2s->shape().src_vocab == s2s->source_vocab()->size());
  CHECK(s2s->shape().tgt_vocab == s2s->target_vocab()->size());
  CHECK(s2s->input_bytes() == dynamic_cast<const CharVocab&>(*s2s->source_vocab()).bytes());
  CHECK(s2s->size(Split::val) == 40);
  CHECK(s2s->metric() == "ter");
  CHECK(s2s->model_kind() == "encoder_decoder");
  auto b = s2s->sample_train(4, rng);
  CHECK((b.tgt_in.select(1, 0) == CharVocab::kBos).all().item<bool>());
  CHECK((b.src.masked_select(b.src.ne(CharVocab::kPad)) >= CharVocab::kFirst).all().item<bool>());
  CHECK(b.src.max().item<int64_t>() < s2s->shape().src_vocab);
  CHECK(b.tgt_out.max().item<int64_t>() < s2s->shape().tgt_vocab);
  ModelSpec spec;
  spec.arch.model = "encoder_decoder";
  spec.arch.d_model = 16;
  spec.arch.encoder_layers = 1;
  spec.arch.decoder_layers = 1;
  spec.arch.encoder.nodes = {{{{0, "conv3"}}}};
  spec.arch.decoder.nodes = {{{{0, "cross_attention"}}}};
  torch::manual_seed(1);
  auto model = build_model(spec, s2s->shape());
  torch::NoGradGuard no_grad;
  const auto m = s2s->evaluate(model, Split::val, 16, 8, torch::kCPU);
  REQUIRE(m.count("val_ter") == 1);
  REQUIRE(m.count("val_exact_match") == 1);
  CHECK(m.at("val_ter") > 0);   // an untrained model
  CHECK(m.at("val_exact_match") == 0);
  CHECK_THAT(s2s->data_summary(), Catch::Contains("train 327, validation 40, test 40 pairs"));

  TaskOptions l;
  l.kind = "lm";
  l.train = kSamples + "/lm/brown_sentences.txt";
  l.max_len = 24;
  auto lm = make_text_task(l);
  REQUIRE(lm->target_vocab());
  CHECK(lm->source_vocab() == nullptr);
  CHECK(lm->shape().tgt_vocab == lm->target_vocab()->size());
  auto w = lm->example_batch(1);   // the first window of train: its first 24 bytes
  std::ifstream in(l.train);
  std::string first(24, '\0');
  in.read(first.data(), 24);
  const auto ids = lm->target_vocab()->ids(first);
  CHECK(torch::equal(w.tgt_in[0], torch::tensor(ids, torch::kLong)));
  const auto text = read_lm_data(l);
  CHECK_THAT(lm->data_summary(), Catch::Contains("data: train " + std::to_string(text.bytes[0]) + ", validation " +
                                                 std::to_string(text.bytes[1]) + ", test "));
  CHECK(text.bytes[1] > 1000);
  CHECK(make_text_task(task("lm", 24))->target_vocab() == nullptr);   // KJV: the fixed byte ids

  // Bits per byte of text (bpc) and per token (bpt): the same for one token a byte;
  // with sentencepiece bpc = bpt x the split's tokens per byte.
  spec.arch.model = "decoder_only";
  spec.arch.decoder.nodes = {{{{0, "causal_conv3"}}}};
  auto lm_metrics = [&](const TextTask& t) {
    torch::manual_seed(1);
    auto m = build_model(spec, t.shape());
    return t.evaluate(m, Split::val, 16, 0, torch::kCPU);
  };
  const auto chars = lm_metrics(*lm);
  CHECK(chars.at("val_bpc") == Approx(chars.at("val_bpt")).epsilon(1e-12));
  l.tokenizer = "sentencepiece";
  l.sentencepiece.vocab_size = 300;
  const auto pieces_task = make_text_task(l);
  const auto pieces = read_lm_data(l);
  CHECK(pieces_task->shape().tgt_vocab == 300);
  const auto sp = lm_metrics(*pieces_task);
  const double tokens_per_byte = static_cast<double>(pieces.tokens[1].size()) / static_cast<double>(pieces.bytes[1]);
  CHECK(tokens_per_byte < 0.7);
  CHECK(sp.at("val_bpc") == Approx(sp.at("val_bpt") * tokens_per_byte).epsilon(1e-9));
}
