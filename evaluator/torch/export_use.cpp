#include "evaluator/torch/export_use.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

#include "common/error.h"
#include "common/atomic_file.h"
#include "common/file_manifest.h"
#include "common/rng.h"
#include "evaluator/torch/quantize.h"

namespace mctsnas::torchnas {
namespace fs = std::filesystem;
namespace {

// The first `max` ids of text: by the tokenizer where the model has one (a user's
// data), else byte b is b + byte_offset.
std::vector<int64_t> text_ids(const LoadedModel& m, const Tokenizer* tokenizer, const std::string& text, size_t max) {
  if (tokenizer) {
    auto ids = m.info.task == "lm" ? tokenizer->stream_ids(text) : tokenizer->ids(text);
    ids.resize(std::min(ids.size(), max));
    return ids;
  }
  const int64_t offset = m.info.vocab.at("byte_offset").get<int64_t>();
  std::vector<int64_t> ids;
  for (size_t i = 0; i < text.size() && i < max; ++i) ids.push_back(static_cast<unsigned char>(text[i]) + offset);
  return ids;
}

torch::Tensor row(const std::vector<int64_t>& ids) {
  return torch::tensor(ids, torch::kLong).view({1, static_cast<int64_t>(ids.size())});
}

void require_task(const LoadedModel& m, const std::string& task, const char* what) {
  if (m.info.task != task)
    throw Error(std::string(what) + " needs an exported " + task + " model; this one is for task " + m.info.task);
}

// Greedy decoding from BOS until EOS, at most max_len - 1 steps, as the tasks' evaluation
// decodes (text_tasks.cpp PairTask::evaluate); the tokens after BOS.
std::vector<int64_t> greedy_tokens(LoadedModel& m, const std::vector<int64_t>& src_ids) {
  const auto& v = m.info.vocab;
  const int64_t pad = v.at("pad").get<int64_t>(), bos = v.at("bos").get<int64_t>(), eos = v.at("eos").get<int64_t>();
  auto src = row(src_ids);
  auto src_pad = src.eq(pad);
  auto memory = m.model->encode(src, src_pad);
  std::vector<int64_t> ys = {bos};
  for (int64_t step = 0; step < m.info.shape.max_len - 1; ++step) {
    auto y = row(ys);
    const int64_t next =
        m.model->decode(y, torch::zeros_like(y, torch::kBool), memory, src_pad).select(1, y.size(1) - 1)[0].argmax().item<int64_t>();
    if (next == eos) break;
    ys.push_back(next);
  }
  return {ys.begin() + 1, ys.end()};
}

struct Hypothesis {
  std::vector<int64_t> ys;   // BOS first
  double logp = 0;
};

// One step of beam search: the `beam` best continuations of the live hypotheses; those
// that emit EOS go to `done` with their log-probability per token (EOS counted).
std::vector<Hypothesis> beam_step(LoadedModel& m, const torch::Tensor& memory, const torch::Tensor& src_pad,
                                  const std::vector<Hypothesis>& live, int beam, int64_t eos,
                                  std::vector<std::pair<std::vector<int64_t>, double>>& done) {
  const auto h = static_cast<int64_t>(live.size());
  std::vector<int64_t> flat;
  for (const auto& x : live) flat.insert(flat.end(), x.ys.begin(), x.ys.end());
  const auto tgt = torch::tensor(flat, torch::kLong).view({h, -1});
  const auto logits = m.model->decode(tgt, torch::zeros_like(tgt, torch::kBool), memory.expand({h, -1, -1}),
                                      src_pad.expand({h, -1}));
  const auto logp = torch::log_softmax(logits.select(1, tgt.size(1) - 1).to(torch::kFloat), -1);
  struct Candidate {
    double logp;
    size_t from;
    int64_t token;
  };
  std::vector<Candidate> candidates;
  for (int64_t k = 0; k < h; ++k) {
    const auto [values, indices] = logp[k].topk(beam);
    for (int64_t j = 0; j < beam; ++j)
      candidates.push_back({live[static_cast<size_t>(k)].logp + values[j].item<double>(), static_cast<size_t>(k),
                            indices[j].item<int64_t>()});
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.logp > b.logp; });
  std::vector<Hypothesis> next;
  for (const auto& c : candidates) {
    const auto& ys = live[c.from].ys;
    if (c.token == eos) {
      done.push_back({{ys.begin() + 1, ys.end()}, c.logp / static_cast<double>(ys.size())});
    } else {
      next.push_back({ys, c.logp});
      next.back().ys.push_back(c.token);
    }
    if (static_cast<int>(next.size()) == beam) break;
  }
  return next;
}

// Beam search from BOS for at most max_len - 1 steps, keeping `beam` hypotheses; it
// ends once `beam` have emitted EOS. The answer is the finished hypothesis of the
// highest log-probability per token (so long outputs are not penalised for their
// length), the first of equals; beam 1 is greedy_tokens. model.py's beam() is the same.
std::vector<int64_t> decode_tokens(LoadedModel& m, const std::vector<int64_t>& src_ids, int beam) {
  if (beam <= 1) return greedy_tokens(m, src_ids);
  const auto& v = m.info.vocab;
  const int64_t pad = v.at("pad").get<int64_t>(), bos = v.at("bos").get<int64_t>(), eos = v.at("eos").get<int64_t>();
  const auto src = row(src_ids);
  const auto src_pad = src.eq(pad);
  const auto memory = m.model->encode(src, src_pad);
  std::vector<Hypothesis> live = {{{bos}, 0.0}};
  std::vector<std::pair<std::vector<int64_t>, double>> done;
  for (int64_t step = 0; step < m.info.shape.max_len - 1 && !live.empty(); ++step) {
    live = beam_step(m, memory, src_pad, live, beam, eos, done);
    if (static_cast<int>(done.size()) >= beam) break;
  }
  if (done.empty())
    for (const auto& x : live) done.push_back({{x.ys.begin() + 1, x.ys.end()}, x.logp / static_cast<double>(x.ys.size() - 1)});
  size_t best = 0;
  for (size_t i = 1; i < done.size(); ++i)
    if (done[i].second > done[best].second) best = i;
  return done[best].first;
}

}  // namespace

ExportedModelInfo read_exported_model_info(const fs::path& dir) {
  const auto json_path = dir / "model.json";
  if (!fs::exists(json_path)) throw Error(json_path.string() + ": missing (export the run first: mctsnas export RUN_DIR)");
  verify_manifest(dir, {"model.json"});   // a damaged file is an error, not "? ? ?"
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(json_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(json_path.string() + ": not valid JSON (" + e.what() + ")");
  }
  return read_model_description(j, json_path.string(), dir);
}

LoadedModel load_exported_model(const fs::path& dir) {
  LoadedModel m;
  m.info = read_exported_model_info(dir);
  // verify_manifest checked every listed file; the weights named in model.json must be one.
  require_in_manifest(dir, {m.info.weights});
  const auto weights_path = dir / m.info.weights;
  m.model = build_model(m.info.spec, m.info.shape);
  if (m.info.variant == "int8") load_int8_weights(m.model, weights_path.string());
  else load_weights(m.model, weights_path.string());
  m.model->eval();
  return m;
}

std::string generate_text(LoadedModel& m, const std::string& prompt, const GenerateOptions& o) {
  require_task(m, "lm", "generate");
  if (o.tokens < 0) throw Error("--tokens must be >= 0");
  if (o.temperature < 0) throw Error("--temperature must be >= 0");
  torch::NoGradGuard no_grad;
  const Tokenizer* tok = m.info.target_tokenizer.get();
  auto ids = text_ids(m, tok, prompt, prompt.size());
  if (ids.empty()) ids = text_ids(m, tok, "\n", 1);
  // Never a next token: padding, and a tokenizer's BOS and UNK, and EOS unless it is
  // sentencepiece's line break.
  const int64_t not_text = tok ? Tokenizer::kFirst : m.info.vocab.at("pad").get<int64_t>() + 1;
  const bool eos_is_newline = tok && tok->kind() == "sentencepiece";
  const size_t window = static_cast<size_t>(m.info.shape.max_len);
  Rng rng(o.seed);
  const size_t prompt_ids = ids.size();
  for (int64_t i = 0; i < o.tokens; ++i) {
    std::vector<int64_t> ctx(ids.end() - static_cast<std::ptrdiff_t>(std::min(window, ids.size())), ids.end());
    auto x = row(ctx);
    auto logits = m.model->decode(x, torch::zeros_like(x, torch::kBool)).select(1, x.size(1) - 1)[0].to(torch::kFloat);
    const float eos_logit = logits[Tokenizer::kEos].item<float>();
    logits.slice(0, 0, not_text).fill_(-std::numeric_limits<float>::infinity());
    if (eos_is_newline) logits[Tokenizer::kEos] = eos_logit;
    int64_t next = 0;
    if (o.temperature == 0) {
      next = logits.argmax().item<int64_t>();
    } else {
      // Inverse-CDF sampling with the project's Rng: the same seed gives the same text everywhere.
      auto probs = torch::softmax(logits / o.temperature, -1).to(torch::kDouble).contiguous();
      const double* p = probs.data_ptr<double>();
      double u = rng.uniform(), acc = 0;
      next = probs.size(0) - 1;
      for (int64_t k = 0; k < probs.size(0); ++k) {
        acc += p[k];
        if (u < acc && p[k] > 0) {
          next = k;
          break;
        }
      }
    }
    ids.push_back(next);
  }
  const std::span<const int64_t> all(ids), generated = all.subspan(prompt_ids);
  if (tok) {
    // Decoded with the prompt: a sentencepiece piece's leading space depends on what precedes it.
    const std::string text = tok->text(all), head = tok->text(all.first(prompt_ids));
    return prompt + (text.compare(0, head.size(), head) == 0 ? text.substr(head.size()) : tok->text(generated));
  }
  std::string out = prompt;
  for (int64_t id : generated) out.push_back(static_cast<char>(id - m.info.vocab.at("byte_offset").get<int64_t>()));
  return out;
}

std::vector<std::string> predict_phonemes(LoadedModel& m, const std::string& word, int beam) {
  require_task(m, "g2p", "predict");
  torch::NoGradGuard no_grad;
  std::string lower = word;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.empty()) throw Error("predict: an empty word");
  if (static_cast<int64_t>(lower.size()) > m.info.shape.max_len)
    throw Error("predict: '" + word + "' is longer than the model's max_len " + std::to_string(m.info.shape.max_len));
  const auto& v = m.info.vocab;
  const int64_t first = v.at("first_phone").get<int64_t>();
  const auto phones = v.at("phones").get<std::vector<std::string>>();
  const auto ys = decode_tokens(m, text_ids(m, nullptr, lower, lower.size()), beam);
  std::vector<std::string> out;
  for (int64_t id : ys) {
    const int64_t k = id - first;
    out.push_back(k >= 0 && k < static_cast<int64_t>(phones.size()) ? phones[static_cast<size_t>(k)] : "?");
  }
  return out;
}

ClassPrediction predict_class(LoadedModel& m, const std::string& text) {
  require_task(m, "classify", "predict");
  torch::NoGradGuard no_grad;
  const auto& v = m.info.vocab;
  const Tokenizer* tok = m.info.source_tokenizer.get();
  auto ids = text_ids(m, tok, text, static_cast<size_t>(m.info.shape.max_len));
  if (ids.empty()) ids.push_back(tok ? Tokenizer::kUnk : '\n' + v.at("byte_offset").get<int64_t>());   // as ClassifyTask does
  auto src = row(ids);
  auto probs = torch::softmax(m.model->classify(src, src.eq(v.at("pad").get<int64_t>())).to(torch::kFloat), -1)[0];
  const int64_t k = probs.argmax().item<int64_t>();
  const auto labels = v.at("labels").get<std::vector<std::string>>();
  return {labels.at(static_cast<size_t>(k)), probs[k].item<double>()};
}

std::string predict_sequence(LoadedModel& m, const std::string& source, int beam) {
  require_task(m, "seq2seq", "predict");
  torch::NoGradGuard no_grad;
  if (source.empty()) throw Error("predict: an empty source text");
  const auto ids = m.info.source_tokenizer->ids(source);
  if (static_cast<int64_t>(ids.size()) > m.info.shape.max_len)
    throw Error("predict: '" + source + "' is " + std::to_string(ids.size()) +
                " tokens, longer than the model's max_len " + std::to_string(m.info.shape.max_len));
  return m.info.target_tokenizer->text(decode_tokens(m, ids, beam));
}

}  // namespace mctsnas::torchnas
