// Exported models: model.json round trip, weights reload, the generated PyTorch
// model.py against the C++ model (every op kind, three model kinds, 1e-5 on the CPU),
// training + export on the shipped samples, and generate/predict on what was exported.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_manifest.h"
#include "evaluator/char_vocab.h"
#include "evaluator/sentencepiece_tokenizer.h"
#include "evaluator/torch/export_model.h"
#include "evaluator/torch/export_use.h"
#include "evaluator/torch/text_data.h"
#include "evaluator/torch/torch_evaluator.h"
#include "run_shell.h"
#include "test_util.h"
#include "torch_parity.h"

// LibTorch 2.x defines a glog-style CHECK that would shadow Catch's.
#undef CHECK
#include <catch2/catch.hpp>

using namespace mctsnas;
using namespace mctsnas::torchnas;
namespace fs = std::filesystem;

namespace {

Cell cell(std::initializer_list<std::vector<CellEdge>> nodes, std::string combine) {
  Cell c;
  for (const auto& n : nodes) c.nodes.push_back({n});
  c.combine = std::move(combine);
  return c;
}

// Between them, the three specs use every op kind of space/op_table.cpp (each kind
// alone: tests/torch_op_table_test.cpp), both combines and non-default dilation and heads.
ModelSpec g2p_spec() {
  ModelSpec s;
  s.arch.model = "encoder_decoder";
  s.arch.d_model = 16;
  s.arch.encoder_layers = 2;
  s.arch.decoder_layers = 2;
  s.arch.encoder = cell({{{0, "conv3"}, {1, "sep_conv5"}},
                         {{2, "dilated_conv3"}, {0, "local_attention_w4"}},
                         {{0, "identity"}, {1, "zero"}}},
                        "concat");
  s.arch.decoder = cell({{{0, "causal_conv3"}, {1, "causal_sep_conv3"}},
                         {{2, "cross_attention"}, {0, "causal_local_attention_w4"}},
                         {{3, "cross_attention_w4"}, {1, "causal_dilated_conv3_d4"}},
                         {{0, "glu"}, {2, "ffn"}}},
                        "sum");
  return s;
}

ModelSpec lm_spec() {
  ModelSpec s;
  s.arch.model = "decoder_only";
  s.arch.d_model = 16;
  s.arch.decoder_layers = 2;
  s.arch.decoder = cell({{{0, "causal_conv5"}, {1, "causal_dilated_conv3"}},
                         {{2, "causal_local_attention_w8_h2"}, {1, "identity"}},
                         {{0, "glu"}, {2, "zero"}},
                         {{1, "ffn"}}},
                        "concat");
  return s;
}

ModelSpec classify_spec() {
  ModelSpec s;
  s.arch.model = "encoder_only";
  s.arch.d_model = 16;
  s.arch.encoder_layers = 3;
  s.arch.encoder = cell({{{0, "conv5"}, {1, "sep_conv3"}},
                         {{2, "local_attention_w16"}, {0, "dilated_conv5_d4"}},
                         {{3, "glu"}, {1, "ffn"}},
                         {{0, "zero"}}},
                        "sum");
  return s;
}

struct ParityCase {
  std::string task;
  ModelSpec spec;
  ModelShape shape;
  std::string call;   // the forward compared (test::parity_forward)
  std::vector<std::string> labels = {};   // classify: one name per class
  TaskTokenizers chars = {};               // a user's seq2seq, lm or classify data
};

CharVocab vocab_of(const std::string& text) {
  CharVocab v;
  v.learn(text);
  return v;
}

// The shipped spam sample as a user's JSONL files, labelled by sub-corpus (4 classes:
// easy-ham-1, easy-ham-2, spam-1, spam-2), split as message i % 10: 8 validation, 9 test.
TaskOptions spam_group_files(const test::TempDir& d) {
  std::ifstream in(std::string(MCTSNAS_SOURCE_DIR) + "/data/samples/spam.jsonl");
  std::string split[3], line;
  for (int i = 0; std::getline(in, line); ++i) {
    const auto j = nlohmann::json::parse(line);
    split[i % 10 == 8 ? 1 : i % 10 == 9 ? 2 : 0] += nlohmann::json{{"body", j.at("text")}, {"group", j.at("group")}}.dump() + "\n";
  }
  TaskOptions o;
  o.kind = "classify";
  o.train = d.write("train.jsonl", split[0]).string();
  o.validation = d.write("validation.jsonl", split[1]).string();
  o.test = d.write("test.jsonl", split[2]).string();
  o.text_field = "body";
  o.label_field = "group";
  return o;
}

// `python3 model.py TEXT...` in dir: its "label<TAB>probability<TAB>text" lines.
std::string run_model_py(const std::string& py, const fs::path& dir, const std::vector<std::string>& texts) {
  std::string cmd = "cd '" + dir.string() + "' && " + py + " model.py";
  for (const auto& t : texts) cmd += " '" + t + "'";
  return test::run_shell(cmd).out;
}

}  // namespace

TEST_CASE("model.json reads back the architecture it describes; bad files name the key", "[torch][export]") {
  const ModelShape shape{257, 42, 0, 16};
  const auto j = model_description(g2p_spec(), shape, "g2p");
  const auto info = read_model_description(j, "model.json");
  CHECK(info.task == "g2p");
  CHECK(info.shape.tgt_vocab == 42);
  CHECK(info.shape.max_len == 16);
  CHECK(model_description(info.spec, info.shape, info.task) == j);
  CHECK(info.vocab.at("phones").size() == arpabet_phones().size());

  auto bad = j;
  bad["architecture"]["decoder"]["nodes"][1]["inputs"][0].erase("op");
  REQUIRE_THROWS_AS(read_model_description(bad, "best/model.json"), Error);
  REQUIRE_THROWS_WITH(read_model_description(bad, "best/model.json"),
                      Catch::Contains("best/model.json") && Catch::Contains("architecture.decoder.nodes[1].inputs[0].op"));
  bad = j;
  bad["format"] = "something-else";
  REQUIRE_THROWS_WITH(read_model_description(bad, "m.json"), Catch::Contains("format"));
  bad = j;
  bad["architecture"]["d_model"] = "wide";
  REQUIRE_THROWS_WITH(read_model_description(bad, "m.json"), Catch::Contains("architecture.d_model: wrong type"));
}

TEST_CASE("exported weights reload into the C++ model, and model.py reproduces its outputs", "[torch][export]") {
  const CharVocab source = vocab_of("abcdefghij'"), target = vocab_of("AEHIOUY 012");
  SentencePieceOptions spo;
  spo.vocab_size = 200;
  const SentencePieceTokenizer pieces(SentencePieceTokenizer::train(test::sample_lines("lm/brown_sentences.txt"), spo), "pieces");
  const std::vector<ParityCase> cases = {
      {"g2p", g2p_spec(), {257, 42, 0, 16}, "decode"},
      {"seq2seq", g2p_spec(), {source.size(), target.size(), 0, 16}, "decode", {}, {&source, &target}},
      {"lm_chars", lm_spec(), {0, target.size(), 0, 16}, "decode", {}, {nullptr, &target}},
      {"lm", lm_spec(), {0, 257, 0, 16}, "decode"},
      {"classify", classify_spec(), {257, 0, 2, 16}, "classify", {"ham", "spam"}},
      {"classify3", classify_spec(), {257, 0, 3, 16}, "classify", {"negative", "neutral", "positive"}},
      {"lm_pieces", lm_spec(), {0, pieces.size(), 0, 16}, "decode", {}, {nullptr, &pieces}},
      {"seq2seq_pieces", g2p_spec(), {pieces.size(), pieces.size(), 0, 16}, "decode", {}, {&pieces, &pieces}},
      {"classify_pieces", classify_spec(), {pieces.size(), 0, 3, 16}, "classify", {"a", "b", "c"}, {&pieces, nullptr}},
  };
  const std::string py = test::python_with_torch();
  if (py.empty()) WARN("skipping the PyTorch half: no python3 with torch (Debian: apt install python3-torch)");
  torch::set_num_threads(1);
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.task) {
      test::TempDir d("export");
      torch::manual_seed(3);
      auto model = build_model(c.spec, c.shape);
      test::randomize(model, 11);
      model->eval();
      const std::string task = c.call == "classify" ? "classify" : c.task.substr(0, c.task.find('_'));
      const auto files = write_model_files(model, c.spec, c.shape, task, d.path(), {}, c.labels, c.chars);
      for (const auto& f : files) CHECK(fs::file_size(f) > 0);
      const auto forward = test::parity_forward(c.spec, c.shape, c.call);
      const auto expected = test::run_forward(model, forward);

      // C++ reload: a fresh model (other random init) gives the same outputs exactly.
      auto info = read_model_description(nlohmann::json::parse(std::ifstream(d.path() / "model.json")), "model.json", d.path());
      auto reloaded = load_exported_model(d.path());
      CHECK(torch::equal(test::run_forward(reloaded.model, forward), expected));
      CHECK(info.task == task);
      if (!c.labels.empty()) CHECK(info.vocab.at("labels") == c.labels);
      for (auto [saved, read] : {std::pair{c.chars.source, reloaded.info.source_tokenizer.get()},
                                 {c.chars.target, reloaded.info.target_tokenizer.get()}}) {
        REQUIRE((read != nullptr) == (saved != nullptr));
        if (saved) CHECK(read->ids("The AEIOU 1 jury") == saved->ids("The AEIOU 1 jury"));
      }
      CHECK(fs::exists(d.path() / kTokenizerFile) == (c.task.find("pieces") != std::string::npos));

      if (py.empty()) continue;
      const std::vector<test::ParityJob> job = {{d.path(), forward, expected, model->num_parameters()}};
      const auto got = test::run_parity(py, job, d.path()).at(0);
      INFO(got.error);
      REQUIRE(got.error.empty());
      REQUIRE(got.same_size);
      CHECK(got.same_params);
      INFO("max |python - C++| = " << got.max_diff);
      CHECK(got.max_diff <= 1e-5);
      // A meaningful comparison: the outputs are not all (near) zero, and a model.py
      // that differs slightly (tanh-approximated GELU) is caught.
      CHECK(expected.abs().max().item<double>() > 1e-2);
      if (c.task == "g2p") {
        std::ifstream src_in(d.path() / "model.py");
        std::string src((std::istreambuf_iterator<char>(src_in)), {});
        const auto at = src.find("return F.gelu(h)");
        REQUIRE(at != std::string::npos);
        src.replace(at, 16, "return F.gelu(h, approximate='tanh')");
        std::ofstream(d.path() / "model.py") << src;
        const auto mutated = test::run_parity(py, job, d.path()).at(0);
        REQUIRE(mutated.error.empty());
        CHECK(mutated.max_diff > 1e-5);
      }
    }
  }
}

TEST_CASE("train_and_export trains on the samples; generate and predict use what it wrote", "[torch][export]") {
  torch::set_num_threads(1);
  const std::string samples = std::string(MCTSNAS_SOURCE_DIR) + "/data/samples";
  ExportTraining how;
  how.task.data = samples;
  how.task.max_len = 16;
  how.train.steps = 6;
  how.train.batch_size = 8;
  how.train.eval_every = 1000;
  how.train.lr = 3e-3;
  how.use_gpu = false;
  how.seed = 5;

  SECTION("lm: generate") {
    test::TempDir d("export");
    how.task.kind = "lm";
    auto r = train_and_export(lm_spec().arch, how, d.path(), nullptr);
    CHECK(r.metrics.at("steps") == 6);
    CHECK(r.metrics.count("val_bpc") == 1);
    CHECK(r.metrics.count("test_bpc") == 1);
    auto m = load_exported_model(d.path());
    GenerateOptions g;
    g.tokens = 20;
    g.seed = 1;
    const auto a = generate_text(m, "In the", g);
    CHECK(a.size() == 6 + 20);
    CHECK(a.rfind("In the", 0) == 0);
    CHECK(generate_text(m, "In the", g) == a);          // same seed, same text
    g.temperature = 0;
    CHECK(generate_text(m, "In the", g) == generate_text(m, "In the", g));
    REQUIRE_THROWS_WITH(predict_class(m, "x"), Catch::Contains("classify"));
  }
  SECTION("g2p: predict") {
    test::TempDir d("export");
    how.task.kind = "g2p";
    auto r = train_and_export(g2p_spec().arch, how, d.path(), nullptr);
    CHECK(r.metrics.count("val_per") == 1);
    auto m = load_exported_model(d.path());
    // The training words' letters, for predict's warning about others (naïve's ï).
    CHECK(m.info.input_bytes.find('e') != std::string::npos);
    CHECK(m.info.input_bytes.find('\xc3') == std::string::npos);
    CHECK(std::is_sorted(m.info.input_bytes.begin(), m.info.input_bytes.end()));
    const auto phones = predict_phonemes(m, "Hello");
    CHECK(phones.size() <= 15);
    for (const auto& p : phones)
      CHECK(std::find(arpabet_phones().begin(), arpabet_phones().end(), p) != arpabet_phones().end());
    CHECK(predict_phonemes(m, "hello") == phones);       // lower-cased as the data is
    CHECK(predict_phonemes(m, "hello", 1) == phones);    // beam 1 is greedy
    const auto beamed = predict_phonemes(m, "hello", 4);
    CHECK(beamed.size() <= 15);
    CHECK(predict_phonemes(m, "hello", 4) == beamed);
    REQUIRE_THROWS_WITH(predict_phonemes(m, "abcdefghijklmnopqrstuvwxyz"), Catch::Contains("max_len"));
  }
  SECTION("classify: predict, and the export reproduces the trial's training") {
    test::TempDir d("export");
    how.task.kind = "classify";
    auto r = train_and_export(classify_spec().arch, how, d.path(), nullptr);
    auto m = load_exported_model(d.path());
    const auto p = predict_class(m, "Buy cheap watches now!!!");
    CHECK((p.label == "ham" || p.label == "spam"));
    CHECK(p.probability >= 0.5);
    CHECK(p.probability <= 1.0);
    // Same seed and steps on the CPU: the trial's model and the export's are the same model.
    TrainOptions train = how.train;
    ObjectiveOptions objective;
    TorchEvaluator ev([](const Architecture&) { return CellArchitecture{}; }, how.task, train, objective, 0);
    ModelSpec spec;
    spec.arch = classify_spec().arch;
    TrialBudget budget;
    budget.cpu_threads = 1;
    auto trial = ev.evaluate_spec(spec, how.seed, budget, StopToken{}, nullptr);
    REQUIRE(trial.status == TrialStatus::ok);
    CHECK(trial.metrics.at("val_accuracy") == r.metrics.at("val_accuracy"));
    CHECK(trial.metrics.at("train_loss") == r.metrics.at("train_loss"));
  }
  SECTION("classify on a user's files: predict names the user's labels, as model.py does") {
    test::TempDir d("export");
    how.task = spam_group_files(d);
    how.task.max_len = 16;
    auto r = train_and_export(classify_spec().arch, how, d.path() / "model", nullptr);
    for (const char* k : {"val_f1", "val_f1_easy_ham_1", "val_f1_easy_ham_2", "val_f1_spam_1", "val_f1_spam_2"})
      CHECK(r.metrics.count(k) == 1);
    // The confusion matrix agrees with the metrics: its diagonal is the accuracy, its
    // rows hold each true label's examples.
    REQUIRE(r.confusion["labels"].size() == 4);
    for (const char* split : {"val", "test"}) {
      const auto cm = r.confusion[split].get<std::vector<std::vector<int64_t>>>();
      int64_t n = 0, diag = 0;
      for (size_t i = 0; i < cm.size(); ++i) {
        REQUIRE(cm[i].size() == 4);
        for (int64_t v : cm[i]) n += v;
        diag += cm[i][i];
      }
      CHECK(n == 8);   // validation and test hold 8 messages each
      CHECK(static_cast<double>(diag) / static_cast<double>(n) ==
            Approx(r.metrics.at(std::string(split) + "_accuracy")));
    }
    auto m = load_exported_model(d.path() / "model");
    const std::vector<std::string> labels = {"easy-ham-1", "easy-ham-2", "spam-1", "spam-2"};
    CHECK(m.info.shape.num_classes == 4);
    CHECK(m.info.vocab.at("labels") == labels);
    const std::vector<std::string> texts = {"Buy cheap watches now!!!", "Re: [Spambayes] hammie.py", "hello"};
    std::string expected;
    for (const auto& t : texts) {
      const auto p = predict_class(m, t);
      CHECK(std::find(labels.begin(), labels.end(), p.label) != labels.end());
      char prob[32];
      std::snprintf(prob, sizeof prob, "%.4f", p.probability);
      expected += p.label + "\t" + prob + "\t" + t + "\n";
    }
    const std::string py = test::python_with_torch();
    if (!py.empty()) CHECK(run_model_py(py, d.path() / "model", texts) == expected);
    // A model.json whose labels do not match its outputs is refused.
    auto j = nlohmann::json::parse(std::ifstream(d.path() / "model" / "model.json"));
    j["vocab"]["labels"] = {"a", "b"};
    REQUIRE_THROWS_WITH(read_model_description(j, "m.json"), Catch::Contains("vocab.labels: 2 names for shape.num_classes 4"));
  }
  SECTION("a missing or broken export is a clear error") {
    test::TempDir d("export");
    REQUIRE_THROWS_WITH(load_exported_model(d.path()), Catch::Contains("model.json") && Catch::Contains("missing"));
    std::ofstream(d.path() / "model.json") << "{not json";
    REQUIRE_THROWS_WITH(load_exported_model(d.path()), Catch::Contains("manifest.txt: missing"));
    write_manifest(d.path());   // listed as it is: the JSON itself is the fault now
    REQUIRE_THROWS_WITH(load_exported_model(d.path()), Catch::Contains("not valid JSON"));
    write_model_files(build_model(lm_spec(), {0, 257, 0, 16}), lm_spec(), {0, 257, 0, 16}, "lm", d.path());
    fs::remove(d.path() / "weights.pt");
    write_manifest(d.path());
    REQUIRE_THROWS_WITH(load_exported_model(d.path()), Catch::Contains("does not list weights.pt"));
  }
}

// Issue 13, defect 5: 20 flipped bytes in weights.pt loaded without complaint and
// `predict` printed "? ? ?". The manifest written with the files catches it.
TEST_CASE("model files are never written through a symbolic link", "[torch][export]") {
  test::TempDir d("export");
  const auto outside = d.write("outside.txt", "not yours");
  std::filesystem::create_directories(d / "model");
  for (const char* f : {"model.json", "weights.pt", "model.py"})
    std::filesystem::create_symlink(outside, d / "model" / f);
  auto model = build_model(classify_spec(), {257, 0, 2, 16});
  write_model_files(model, classify_spec(), {257, 0, 2, 16}, "classify", d / "model", {}, {"ham", "spam"});
  CHECK(read_file(outside) == "not yours");
  for (const char* f : {"model.json", "weights.pt", "model.py"}) {
    INFO(f);
    CHECK_FALSE(std::filesystem::is_symlink(d / "model" / f));
  }
  CHECK(load_exported_model(d / "model").info.task == "classify");
}

TEST_CASE("flipped bytes in an exported weights.pt are refused on load", "[torch][export]") {
  test::TempDir d("export");
  torch::manual_seed(3);
  auto model = build_model(lm_spec(), {0, 257, 0, 16});
  write_model_files(model, lm_spec(), {0, 257, 0, 16}, "lm", d.path());
  CHECK_NOTHROW(load_exported_model(d.path()));
  const auto weights = d.path() / "weights.pt";
  const auto size = fs::file_size(weights);
  {
    std::fstream f(weights, std::ios::in | std::ios::out | std::ios::binary);
    for (int i = 0; i < 20; ++i) {
      f.seekg(static_cast<std::streamoff>(size / 2 + static_cast<uint64_t>(i)));
      char c = 0;
      f.get(c);
      f.seekp(static_cast<std::streamoff>(size / 2 + static_cast<uint64_t>(i)));
      f.put(static_cast<char>(c ^ 0x5a));
    }
  }
  CHECK(fs::file_size(weights) == size);
  CHECK_THROWS_WITH(load_exported_model(d.path()),
                    Catch::Contains("weights.pt: changed or damaged since the export"));
}
