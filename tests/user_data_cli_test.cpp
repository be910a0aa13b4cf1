// A user's seq2seq pairs, lm text and classify texts end to end through the CLI, with
// the tiniest settings on the shipped example configs: validate, search, resume,
// export, then predict (seq2seq, classify, and the exported model.py saying the same)
// and generate (lm); with the char tokenizer and with sentencepiece.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "run_shell.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

#ifdef MCTSNAS_HAVE_TORCH
namespace {

using Out = test::ShellResult;

Out cli(const std::string& args) { return test::run_shell(test::mctsnas_binary() + " " + args); }

std::string example_config(const std::string& name) { return (test::source_dir() / "configs" / name).string(); }

// Two trials of a few steps, one small width.
const std::string kTiny =
    " --set search.trials=2 --set train.steps=6 --set train.eval_every=3 --set train.eval_batches=1"
    " --set train.batch_size=8 --set 'space.macro.d_model=[32]' --set resources.per_trial.wall_time=60s";

size_t lines(const fs::path& file) {
  std::ifstream in(file);
  size_t n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

bool python_has_torch() { return test::run_shell("/usr/bin/python3 -c 'import torch'").code == 0; }

}  // namespace

TEST_CASE("seq2seq on a user's files: validate, search, resume, export, predict and model.py", "[cli][user_data]") {
  test::TempDir d("seq2seq-cli");
  const std::string run = (d / "run").string();
  const Out v = cli("validate " + example_config("seq2seq_example.yaml") + kTiny);
  INFO(v.out);
  REQUIRE(v.code == 0);
  CHECK_THAT(v.out, Catch::Contains("data: train 327, validation 40, test 40 pairs; vocabulary: source "));
  CHECK_THAT(v.out, Catch::Contains("read as UNK: validation"));

  const Out s = cli("search " + example_config("seq2seq_example.yaml") + " --run-dir " + run + kTiny);
  INFO(s.out);
  REQUIRE(s.code == 0);
  CHECK_THAT(s.out, Catch::Contains("finished: 2 trials"));
  std::ifstream trials(d / "run" / "trials.jsonl");
  const std::string first((std::istreambuf_iterator<char>(trials)), {});
  CHECK_THAT(first, Catch::Contains("\"val_ter\"") && Catch::Contains("\"val_exact_match\""));

  const Out r = cli("resume " + run + " --trials 3");
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(lines(d / "run" / "trials.jsonl") == 3);

  const Out e = cli("export " + run);
  INFO(e.out);
  REQUIRE(e.code == 0);
  const Out p = cli("predict " + run + " hello world");
  INFO(p.out);
  REQUIRE(p.code == 0);
  CHECK(p.out.rfind("hello\t", 0) == 0);
  CHECK_THAT(p.out, Catch::Contains("\nworld\t"));
  CHECK_THAT(cli("generate " + run + " --prompt x").out, Catch::Contains("needs an exported lm model"));
  CHECK(cli("predict " + run + " --beam 1 hello world").out == p.out);   // beam 1 is greedy
  CHECK_THAT(cli("predict " + run + " --beam 0 hello").out, Catch::Contains("--beam: Value 0 not in range 1 to 64"));
  CHECK_THAT(cli("predict " + run + " " + std::string(40, 'a')).out, Catch::Contains("longer than the model's max_len"));
  if (!python_has_torch()) {
    WARN("skipping model.py: /usr/bin/python3 has no torch (apt-get install python3-torch)");
    return;
  }
  const Out py = test::run_shell("cd " + run + "/best && /usr/bin/python3 model.py hello world");
  CHECK(py.out == p.out);
  // Beam search: model.py's is the same search.
  const Out b = cli("predict " + run + " --beam 4 hello world pronunciation");
  INFO(b.out);
  REQUIRE(b.code == 0);
  CHECK(test::run_shell("cd " + run + "/best && /usr/bin/python3 model.py --beam 4 hello world pronunciation").out == b.out);
  const Out too_long = test::run_shell("cd " + run + "/best && /usr/bin/python3 model.py " + std::string(40, 'a'));
  CHECK(too_long.code != 0);
  CHECK_THAT(too_long.out, Catch::Contains("longer than the model's max_len"));
}

TEST_CASE("lm on a user's text: validate, search, export, generate and model.py", "[cli][user_data]") {
  test::TempDir d("lm-cli");
  const std::string run = (d / "run").string();
  const Out v = cli("validate " + example_config("lm_example.yaml") + kTiny);
  INFO(v.out);
  REQUIRE(v.code == 0);
  CHECK_THAT(v.out, Catch::Contains("data: train ") && Catch::Contains(" tokens; vocabulary: ") &&
                        Catch::Contains(" bytes of train"));
  CHECK_THAT(v.out, !Catch::Contains("data: train 0,"));

  const Out s = cli("search " + example_config("lm_example.yaml") + " --run-dir " + run + kTiny);
  INFO(s.out);
  REQUIRE(s.code == 0);
  REQUIRE(cli("export " + run).code == 0);
  const Out g = cli("generate " + run + " --prompt 'The jury' --tokens 12 --temperature 0");
  INFO(g.out);
  REQUIRE(g.code == 0);
  CHECK(g.out.rfind("The jury", 0) == 0);
  CHECK(g.out.size() == 8 + 12 + 1);   // the vocabulary is ASCII: 12 bytes, and the newline
  CHECK_THAT(cli("predict " + run + " --beam 2 x").out, Catch::Contains("--beam 2: beam search decodes g2p and seq2seq"));
  if (!python_has_torch()) return;
  const Out py = test::run_shell("cd " + run + "/best && /usr/bin/python3 -c 'import model; m = model.load(); "
                    "print(model.generate(m, \"The jury\", tokens=12, temperature=0))'");
  CHECK(py.out == g.out);
}
namespace {

const std::string kPieces = " --set task.tokenizer=sentencepiece --set task.sentencepiece.vocab_size=300";

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

bool python_has_sentencepiece() {
  return test::run_shell("/usr/bin/python3 -c 'import torch, sentencepiece'").code == 0;
}

}  // namespace

TEST_CASE("sentencepiece: the run trains its tokenizer once and resume, export and model.py read it",
          "[cli][user_data][sentencepiece]") {
  test::TempDir d("spm-cli");
  const std::string run = (d / "run").string();
  const Out v = cli("validate " + example_config("lm_example.yaml") + kTiny + kPieces);
  INFO(v.out);
  REQUIRE(v.code == 0);
  CHECK_THAT(v.out, Catch::Contains("vocabulary: 300 sentencepiece ids"));
  CHECK_FALSE(fs::exists(d / "run"));

  const Out s = cli("search " + example_config("lm_example.yaml") + " --run-dir " + run + kTiny + kPieces);
  INFO(s.out);
  REQUIRE(s.code == 0);
  const std::string model = file_bytes(d / "run" / "tokenizer.model");
  REQUIRE(model.size() > 1000);
  std::ifstream trials(d / "run" / "trials.jsonl");
  const std::string log((std::istreambuf_iterator<char>(trials)), {});
  CHECK_THAT(log, Catch::Contains("\"val_bpc\"") && Catch::Contains("\"val_bpt\""));

  // A resumed run reads the model it wrote; a deleted one is trained again, the same.
  fs::remove(d / "run" / "tokenizer.model");
  const Out r = cli("resume " + run + " --trials 3");
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(lines(d / "run" / "trials.jsonl") == 3);
  CHECK(file_bytes(d / "run" / "tokenizer.model") == model);

  REQUIRE(cli("export " + run).code == 0);
  CHECK(file_bytes(d / "run" / "best" / "tokenizer.model") == model);
  const Out g = cli("generate " + run + " --prompt 'The jury' --tokens 12 --temperature 0");
  INFO(g.out);
  REQUIRE(g.code == 0);
  CHECK(g.out.rfind("The jury", 0) == 0);
  CHECK(g.out.size() > 8 + 1);

  // The compressed variants ship the model too, and serve-plan serves one.
  const Out c = cli("compress " + run + " --variants int8,prune --prune-steps 2 --threads 1");
  INFO(c.out);
  REQUIRE(c.code == 0);
  for (const char* v : {"int8", "prune"}) CHECK(file_bytes(d / "run" / "best" / "compressed" / v / "tokenizer.model") == model);
  CHECK(cli("generate " + run + " --variant int8 --prompt 'The jury' --tokens 4").code == 0);
  const Out p = cli("serve-plan " + run + " --variant int8 --batches 1,2 --seconds 0.1");
  INFO(p.out);
  CHECK(p.code == 0);
  if (!python_has_sentencepiece()) {
    WARN("skipping model.py: /usr/bin/python3 lacks torch or sentencepiece (apt-get install python3-sentencepiece)");
    return;
  }
  const Out py = test::run_shell("cd " + run + "/best && /usr/bin/python3 -c 'import model; m = model.load(); "
                    "print(model.generate(m, \"The jury\", tokens=12, temperature=0))'");
  CHECK(py.out == g.out);
}

TEST_CASE("sentencepiece seq2seq and classify: predict and model.py agree", "[cli][user_data][sentencepiece]") {
  test::TempDir d("spm-cli2");
  struct Case {
    const char* config;
    std::string inputs;
  };
  for (const Case& c : {Case{"seq2seq_example.yaml", "hello world"},
                        Case{"intent_example.yaml", "'the jury said' 'a new model of the atom'"}}) {
    DYNAMIC_SECTION(c.config) {
      const std::string run = (d / c.config).string();
      const Out v = cli("validate " + example_config(c.config) + kTiny + kPieces);
      INFO(v.out);
      CHECK_THAT(v.out, Catch::Contains("vocabulary: 300 sentencepiece ids") && Catch::Contains("read as UNK: validation"));
      const Out s = cli("search " + example_config(c.config) + " --run-dir " + run + kTiny + kPieces +
                        " --set task.baseline_seeds=0");
      INFO(s.out);
      REQUIRE(s.code == 0);
      REQUIRE(fs::exists(fs::path(run) / "tokenizer.model"));
      const Out e = cli("export " + run);
      INFO(e.out);
      REQUIRE(e.code == 0);
      const Out p = cli("predict " + run + " " + c.inputs);
      INFO(p.out);
      REQUIRE(p.code == 0);
      if (!python_has_sentencepiece()) continue;
      const Out py = test::run_shell("cd " + run + "/best && /usr/bin/python3 model.py " + c.inputs);
      CHECK(py.out == p.out);
    }
  }
}
#endif
