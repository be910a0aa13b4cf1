#include "evaluator/torch/export_model.h"

#include <chrono>
#include <ostream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_manifest.h"
#include "evaluator/char_vocab.h"
#include "evaluator/sentencepiece_tokenizer.h"
#include "evaluator/torch/compat.h"
#include "evaluator/torch/export_pytorch.h"
#include "evaluator/torch/text_data.h"
#include "evaluator/torch/text_tasks.h"
#include "evaluator/torch/torch_evaluator.h"
#include "evaluator/torch/trainer.h"

namespace mctsnas::torchnas {
namespace fs = std::filesystem;
namespace {

nlohmann::json cell_json(const Cell& c) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : c.nodes) {
    nlohmann::json inputs = nlohmann::json::array();
    for (const auto& e : n.inputs) {
      auto spec = parse_op(e.op);
      if (!spec) throw Error("cannot export op '" + e.op + "': not in the op vocabulary");
      // The parameters spelled out, so model.py needs no op-name parser.
      inputs.push_back({{"from", e.from},
                        {"op", e.op},
                        {"spec",
                         {{"kind", std::string(spec->kind->name)},
                          {"kernel", spec->kernel},
                          {"dilation", spec->dilation},
                          {"window", spec->window},
                          {"heads", spec->heads},
                          {"causal", spec->causal}}}});
    }
    nodes.push_back({{"inputs", inputs}});
  }
  return {{"combine", c.combine}, {"nodes", nodes}};
}

// Reads a key of model.json, naming it on failure.
template <class T>
T get(const nlohmann::json& j, const std::string& key, const std::string& path, const std::string& where) {
  if (!j.is_object() || !j.contains(key))
    throw Error(where + ": " + path + key + ": missing (expected a model.json written by mctsnas export)");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(where + ": " + path + key + ": wrong type");
  }
}

Cell read_cell(const nlohmann::json& j, const std::string& path, const std::string& where) {
  Cell c;
  c.combine = get<std::string>(j, "combine", path, where);
  const auto nodes = get<nlohmann::json>(j, "nodes", path, where);
  if (!nodes.is_array()) throw Error(where + ": " + path + "nodes: expected a list");
  for (size_t k = 0; k < nodes.size(); ++k) {
    const std::string np = path + "nodes[" + std::to_string(k) + "].";
    const auto inputs = get<nlohmann::json>(nodes[k], "inputs", np, where);
    if (!inputs.is_array()) throw Error(where + ": " + np + "inputs: expected a list");
    CellNode node;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string ip = np + "inputs[" + std::to_string(i) + "].";
      CellEdge e;
      e.from = get<int>(inputs[i], "from", ip, where);
      e.op = get<std::string>(inputs[i], "op", ip, where);
      if (!parse_op(e.op)) throw Error(where + ": " + ip + "op: unknown op '" + e.op + "'");
      node.inputs.push_back(e);
    }
    c.nodes.push_back(std::move(node));
  }
  return c;
}

std::vector<int> byte_list(const std::string& bytes) {
  std::vector<int> out;
  for (char b : bytes) out.push_back(static_cast<unsigned char>(b));
  return out;
}

nlohmann::json special_ids(const char* input) {
  return {{"input", input},          {"pad", Tokenizer::kPad}, {"bos", Tokenizer::kBos},
          {"eos", Tokenizer::kEos},  {"unk", Tokenizer::kUnk}, {"first", Tokenizer::kFirst}};
}

// vocab.source_bytes / target_bytes of an "input": "chars" vocabulary, as CharVocabs;
// task_vocabulary of them must give the vocabulary back (so a list is sorted, unique).
void read_char_vocabs(ExportedModelInfo& info, const std::string& where) {
  for (auto [key, slot] : {std::pair{"source_bytes", &info.source_tokenizer}, {"target_bytes", &info.target_tokenizer}}) {
    if (!info.vocab.contains(key)) continue;
    auto v = std::make_shared<CharVocab>();
    for (int b : get<std::vector<int>>(info.vocab, key, "vocab.", where)) {
      if (b < 0 || b > 255) throw Error(where + ": vocab." + key + ": " + std::to_string(b) + " is not a byte (0..255)");
      v->learn(std::string(1, static_cast<char>(b)));
    }
    *slot = std::move(v);
  }
}

// The export's sentencepiece model, for both sides the task has.
void read_sentencepiece(ExportedModelInfo& info, const std::string& where, const fs::path& dir) {
  const auto path = dir / kTokenizerFile;
  std::shared_ptr<const Tokenizer> tok;
  try {
    tok = std::make_shared<SentencePieceTokenizer>(read_file(path), path.string());
  } catch (const Error& e) {
    throw Error(where + ": vocab.model: " + e.what());
  }
  if (info.task != "lm") info.source_tokenizer = tok;
  if (info.task != "classify") info.target_tokenizer = tok;
}

void read_tokenizers(ExportedModelInfo& info, const std::string& where, const fs::path& dir) {
  const std::string input = info.vocab.is_object() ? info.vocab.value("input", "") : "";
  if (input == "chars") read_char_vocabs(info, where);
  if (input == "sentencepiece") read_sentencepiece(info, where, dir);
}

void check_tokenizer_shape(const ExportedModelInfo& info, const std::string& where) {
  auto check = [&](const std::shared_ptr<const Tokenizer>& t, int64_t size, const char* what) {
    if (t && t->size() != size)
      throw Error(where + ": shape." + what + " " + std::to_string(size) + " does not fit the " + t->kind() +
                  " vocabulary's " + std::to_string(t->size()) + " ids");
  };
  check(info.source_tokenizer, info.shape.src_vocab, "src_vocab");
  check(info.target_tokenizer, info.shape.tgt_vocab, "tgt_vocab");
}

const SentencePieceTokenizer* sentencepiece_of(TaskTokenizers t) {
  for (const Tokenizer* x : {t.source, t.target})
    if (const auto* sp = dynamic_cast<const SentencePieceTokenizer*>(x)) return sp;
  return nullptr;
}

}  // namespace

nlohmann::json task_vocabulary(const std::string& task_kind, const std::vector<std::string>& labels,
                               TaskTokenizers tokenizers) {
  if (const auto* sp = sentencepiece_of(tokenizers)) {
    if (task_kind != "lm" && task_kind != "seq2seq" && task_kind != "classify")
      throw Error("task.kind '" + task_kind + "' reads bytes, not a sentencepiece model");
    nlohmann::json v = special_ids("sentencepiece");
    v["model"] = kTokenizerFile;
    v["offset"] = sp->offset();
    if (task_kind == "classify") v["labels"] = labels;
    return v;
  }
  if (task_kind == "seq2seq" || (task_kind == "lm" && tokenizers.target)) {
    const auto* source = dynamic_cast<const CharVocab*>(tokenizers.source);
    const auto* target = dynamic_cast<const CharVocab*>(tokenizers.target);
    if (!target || (task_kind == "seq2seq" && !source))
      throw Error("a " + task_kind + " model of a user's data needs its char vocabularies");
    nlohmann::json v = special_ids("chars");
    if (source) v["source_bytes"] = byte_list(source->bytes());
    v["target_bytes"] = byte_list(target->bytes());
    return v;
  }
  nlohmann::json v = {{"input", "bytes"}, {"pad", 0}, {"byte_offset", 1}};
  if (task_kind == "g2p") {
    v["bos"] = 1;
    v["eos"] = 2;
    v["first_phone"] = 3;
    v["phones"] = arpabet_phones();
  } else if (task_kind == "classify") {
    if (labels.size() < 2) throw Error("a classify model needs the names of its labels (at least 2)");
    v["labels"] = labels;
  } else if (task_kind != "lm") {
    throw Error("task.kind '" + task_kind + "': an exported model is for lm, g2p, classify or seq2seq");
  }
  return v;
}

nlohmann::json model_description(const ModelSpec& spec, const ModelShape& shape, const std::string& task_kind,
                                 const std::string& input_bytes, const std::vector<std::string>& labels,
                                 TaskTokenizers tokenizers) {
  if (spec.transformer_baseline) throw Error("export: the reference Transformer is not a searched architecture");
  const auto& a = spec.arch;
  nlohmann::json arch = {{"model", a.model}, {"d_model", a.d_model}};
  if (a.model != "decoder_only") {
    arch["encoder_layers"] = a.encoder_layers;
    arch["encoder"] = cell_json(a.encoder);
  }
  if (a.model != "encoder_only") {
    arch["decoder_layers"] = a.decoder_layers;
    arch["decoder"] = cell_json(a.decoder);
  }
  if (!spec.op_units.empty()) arch["op_units"] = spec.op_units;   // absent: unpruned, as before pruning existed
  nlohmann::json j = {{"format", kModelFormat},
          {"task", task_kind},
          {"architecture", arch},
          {"shape",
           {{"src_vocab", shape.src_vocab},
            {"tgt_vocab", shape.tgt_vocab},
            {"num_classes", shape.num_classes},
            {"max_len", shape.max_len}}},
          {"vocab", task_vocabulary(task_kind, labels, tokenizers)}};
  if (!input_bytes.empty()) j["input_bytes"] = byte_list(input_bytes);
  return j;
}

ExportedModelInfo read_model_description(const nlohmann::json& j, const std::string& where, const fs::path& dir) {
  const auto format = get<std::string>(j, "format", "", where);
  if (format != kModelFormat)
    throw Error(where + ": format '" + format + "': this mctsnas reads " + kModelFormat);
  ExportedModelInfo info;
  info.task = get<std::string>(j, "task", "", where);
  const auto arch = get<nlohmann::json>(j, "architecture", "", where);
  auto& a = info.spec.arch;
  a.model = get<std::string>(arch, "model", "architecture.", where);
  a.d_model = get<int>(arch, "d_model", "architecture.", where);
  if (a.model != "decoder_only") {
    a.encoder_layers = get<int>(arch, "encoder_layers", "architecture.", where);
    a.encoder = read_cell(get<nlohmann::json>(arch, "encoder", "architecture.", where), "architecture.encoder.", where);
  }
  if (a.model != "encoder_only") {
    a.decoder_layers = get<int>(arch, "decoder_layers", "architecture.", where);
    a.decoder = read_cell(get<nlohmann::json>(arch, "decoder", "architecture.", where), "architecture.decoder.", where);
  }
  if (arch.contains("op_units")) {
    info.spec.op_units = get<OpUnits>(arch, "op_units", "architecture.", where);
    for (const auto& [path, units] : info.spec.op_units)
      if (units < 1)
        throw Error(where + ": architecture.op_units." + path + ": " + std::to_string(units) + " (expected >= 1)");
  }
  const auto shape = get<nlohmann::json>(j, "shape", "", where);
  info.shape.src_vocab = get<int64_t>(shape, "src_vocab", "shape.", where);
  info.shape.tgt_vocab = get<int64_t>(shape, "tgt_vocab", "shape.", where);
  info.shape.num_classes = get<int64_t>(shape, "num_classes", "shape.", where);
  info.shape.max_len = get<int64_t>(shape, "max_len", "shape.", where);
  info.vocab = get<nlohmann::json>(j, "vocab", "", where);
  std::vector<std::string> labels;
  if (info.task == "classify") {
    labels = get<std::vector<std::string>>(info.vocab, "labels", "vocab.", where);
    if (static_cast<int64_t>(labels.size()) != info.shape.num_classes || labels.size() < 2)
      throw Error(where + ": vocab.labels: " + std::to_string(labels.size()) + " names for shape.num_classes " +
                  std::to_string(info.shape.num_classes) + " (expected one per class, at least 2)");
  }
  read_tokenizers(info, where, dir);
  const auto expected = task_vocabulary(info.task, labels, info.tokenizers());   // also checks the task kind
  if (info.vocab != expected)
    throw Error(where + ": vocab: does not match this mctsnas's " + info.task + " vocabulary");
  check_tokenizer_shape(info, where);
  if (j.contains("variant")) {
    info.variant = get<std::string>(j, "variant", "", where);
    info.weights = get<std::string>(j, "weights", "", where);
    if (info.variant != "int8" || info.weights != "weights_int8.pt")
      throw Error(where + ": variant '" + info.variant + "' with weights '" + info.weights +
                  "': this mctsnas reads variant int8 with weights_int8.pt");
  }
  if (j.contains("input_bytes"))
    for (int b : get<std::vector<int>>(j, "input_bytes", "", where)) {
      if (b < 0 || b > 255) throw Error(where + ": input_bytes: " + std::to_string(b) + " is not a byte (0..255)");
      info.input_bytes.push_back(static_cast<char>(b));
    }
  return info;
}

std::vector<fs::path> write_model_files(const SeqModel& model, const ModelSpec& spec, const ModelShape& shape,
                                        const std::string& task_kind, const fs::path& dir,
                                        const std::string& input_bytes, const std::vector<std::string>& labels,
                                        TaskTokenizers tokenizers) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());
  const auto desc = model_description(spec, shape, task_kind, input_bytes, labels, tokenizers);
  std::vector<fs::path> files = {dir / "model.json", dir / "weights.pt", dir / "model.py"};
  if (const auto* sp = sentencepiece_of(tokenizers)) {
    files.push_back(dir / kTokenizerFile);
    write_file_atomically(files.back(), sp->serialized());
  }
  write_file_atomically(files[0], desc.dump(2) + "\n");
  // Saved from the CPU in fp32: what model.py and load_weights read anywhere.
  auto cpu = build_model(spec, shape);
  {
    torch::NoGradGuard no_grad;
    auto src = model->named_parameters();
    for (auto& p : cpu->named_parameters()) p.value().copy_(src[p.key()].to(torch::kCPU, torch::kFloat));
  }
  save_weights(cpu, files[1].string());
  write_file_atomically(files[2], pytorch_module_source(desc));
  write_manifest(dir);   // load_exported_model checks it
  return files;
}

void write_variant_description(const fs::path& best_dir, const fs::path& variant_dir, const std::string& variant,
                               const std::string& weights_file) {
  const auto from = best_dir / "model.json";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(from));
  } catch (const nlohmann::json::exception& e) {
    throw Error(from.string() + ": not valid JSON (" + e.what() + ")");
  }
  j["variant"] = variant;
  j["weights"] = weights_file;
  write_file_atomically(variant_dir / "model.json", j.dump(2) + "\n");
  if (std::error_code ec; fs::exists(best_dir / kTokenizerFile, ec))
    write_file_atomically(variant_dir / kTokenizerFile, read_file(best_dir / kTokenizerFile));
}

ExportResult train_and_export(const CellArchitecture& arch, const ExportTraining& how, const fs::path& dir,
                              std::ostream* log) {
  ExportResult res;
  auto task = make_text_task(how.task);
  if (arch.model != task->model_kind())
    throw Error("task " + task->kind() + " needs model: " + task->model_kind() + ", the architecture is " + arch.model);
  torch::Device device = torch::kCPU;
  if (how.use_gpu && torch::cuda::is_available()) device = torch::Device(torch::kCUDA, 0);
  res.device = device.str();
  const bool bf16 = use_bf16(how.train.precision, device);

  ModelSpec spec;
  spec.arch = arch;
  // The trial's seeds (TorchEvaluator::evaluate_spec): the same initial weights and batches.
  torch::manual_seed(how.seed);
  auto model = build_model(spec, task->shape());
  model->to(device);
  const auto [fs_len, ft_len] = task->flop_lengths();
  res.metrics["params"] = static_cast<double>(model->num_parameters());
  res.metrics["flops"] = model->flops(fs_len, ft_len);

  TrainSettings ts;
  ts.train = how.train;
  ts.device = device;
  ts.bf16 = bf16;
  ts.seed = how.seed;
  if (log)
    *log << "training " << arch.model << " (" << static_cast<int64_t>(res.metrics["params"]) << " parameters) for "
         << how.train.steps << " steps on " << res.device << (bf16 ? " (bf16)" : "") << " ..." << std::endl;
  torch::manual_seed(hash_combine(how.seed, 1));
  const auto out = train_model(model, *task, ts, StopToken{}, nullptr);
  if (out.status != TrialStatus::ok)
    throw Error(std::string("training the architecture again ended with status ") + to_string(out.status) +
                (out.error.empty() ? "" : ": " + out.error));
  res.metrics["steps"] = static_cast<double>(out.steps);
  res.metrics["train_seconds"] = out.seconds;
  res.metrics["train_loss"] = out.last_loss;
  {
    torch::NoGradGuard no_grad;
    model->eval();
    torchc::AutocastGuard autocast(bf16);
    const int64_t eb = std::max<int64_t>(how.train.batch_size, 64);
    // The same capped evaluation as a trial's, so the figures compare.
    for (auto split : {Split::val, Split::test})
      for (const auto& [k, v] : task->evaluate(model, split, eb, kFinalEvalExamples, device)) res.metrics[k] = v;
    if (task->kind() == "classify") {
      res.confusion = {{"labels", task->labels()}, {"examples", kFinalEvalExamples}};
      for (auto split : {Split::val, Split::test})
        res.confusion[to_string(split)] = classify_confusion(*task, model, split, eb, kFinalEvalExamples, device);
    }
  }
  res.metrics["latency_ms_b1"] = measure_latency_ms(model, *task, 1, device, bf16);
  model->eval();
  res.files = write_model_files(model, spec, task->shape(), task->kind(), dir, task->input_bytes(), task->labels(),
                                {task->source_vocab(), task->target_vocab()});
  return res;
}

}  // namespace mctsnas::torchnas
