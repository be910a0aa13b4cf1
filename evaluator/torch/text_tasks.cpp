#include "evaluator/torch/text_tasks.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "common/error.h"
#include "evaluator/char_vocab.h"
#include "evaluator/task_dims.h"
#include "evaluator/user_text_data.h"
#include "evaluator/torch/classify_data.h"

namespace mctsnas::torchnas {
namespace {

constexpr int64_t kPad = 0;

ModelShape shape_of(const ModelDims& d) { return {d.src_vocab, d.tgt_vocab, d.num_classes, d.max_len}; }

torch::Tensor long_tensor(const std::vector<int64_t>& v, int64_t rows, int64_t cols) {
  return torch::from_blob(const_cast<int64_t*>(v.data()), {rows, cols}, torch::kLong).clone();
}

// Adds the bytes of `s[0, max)` to a sorted set of bytes.
void add_bytes(std::string& set, const std::string& s, size_t max) {
  for (size_t i = 0; i < s.size() && i < max; ++i)
    if (auto at = std::lower_bound(set.begin(), set.end(), s[i]); at == set.end() || *at != s[i]) set.insert(at, s[i]);
}

std::vector<int64_t> bytes_to_ids(const std::string& s, size_t max) {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < s.size() && i < max; ++i) ids.push_back(static_cast<unsigned char>(s[i]) + 1);
  return ids;
}

torch::Tensor ce_loss(const torch::Tensor& logits, const torch::Tensor& target) {
  return torch::nn::functional::cross_entropy(
      logits.reshape({-1, logits.size(-1)}).to(torch::kFloat), target.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kPad));
}

// ---------------------------------------------------------------- lm
// A stream of token ids per split, read in windows of max_len inputs and their next
// tokens. bpc is bits per byte of text: bits per token times the split's tokens per
// byte (the same figure for a byte tokenizer, comparable across tokenizers).
class LmTask : public TextTask {
 public:
  explicit LmTask(const TaskOptions& o) : len_(o.max_len) {
    if (len_ < 2) throw Error("task.max_len must be >= 2 for lm, got " + std::to_string(len_));
    if (!o.train.empty()) {
      auto data = read_lm_data(o);
      summary_ = describe_lm_data(data);
      for (int k = 0; k < 3; ++k) {
        tokens_[k] = std::move(data.tokens[k]);
        bytes_[k] = data.bytes[k];
      }
      dims_ = lm_dims(o, data.tokenizer->size());
      tokenizer_ = std::move(data.tokenizer);
      return;
    }
    const auto verses = read_kjv(dataset_path(o.data, "kjv.txt"));
    for (size_t i = 0; i < verses.size(); ++i) {
      const int k = static_cast<int>(split_of(i));
      for (unsigned char b : verses[i] + "\n") tokens_[k].push_back(b + 1);
      bytes_[k] = tokens_[k].size();
    }
    for (auto& t : tokens_)
      if (t.size() < static_cast<size_t>(len_ + 2)) throw Error("lm: a split holds less text than task.max_len");
    dims_ = *task_model_dims(o);
  }
  std::string kind() const override { return "lm"; }
  std::string model_kind() const override { return "decoder_only"; }
  ModelShape shape() const override { return shape_of(dims_); }
  std::string metric() const override { return "bpc"; }
  bool minimize() const override { return true; }
  size_t size(Split s) const override { return tokens_[static_cast<int>(s)].size() / static_cast<size_t>(len_); }
  std::string data_summary() const override { return summary_.empty() ? TextTask::data_summary() : summary_; }
  const Tokenizer* target_vocab() const override { return tokenizer_.get(); }

  Batch window_batch(const std::vector<int32_t>& tokens, const std::vector<size_t>& starts) const {
    const int64_t b = static_cast<int64_t>(starts.size());
    std::vector<int64_t> in(static_cast<size_t>(b * len_)), out(in.size());
    for (int64_t r = 0; r < b; ++r)
      for (int64_t c = 0; c < len_; ++c) {
        in[static_cast<size_t>(r * len_ + c)] = tokens[starts[r] + c];
        out[static_cast<size_t>(r * len_ + c)] = tokens[starts[r] + c + 1];
      }
    Batch bt;
    bt.tgt_in = long_tensor(in, b, len_);
    bt.tgt_out = long_tensor(out, b, len_);
    bt.tgt_pad = torch::zeros({b, len_}, torch::kBool);
    return bt;
  }
  Batch sample_train(int64_t batch, Rng& rng) const override {
    const auto& t = tokens_[0];
    std::vector<size_t> starts;
    for (int64_t i = 0; i < batch; ++i) starts.push_back(rng.below(t.size() - static_cast<size_t>(len_) - 1));
    return window_batch(t, starts);
  }
  torch::Tensor loss(SeqModel& m, const Batch& b) const override {
    return ce_loss(m->decode(b.tgt_in, b.tgt_pad), b.tgt_out);
  }
  Metrics evaluate(SeqModel& m, Split s, int64_t batch, int64_t max_examples, const torch::Device& dev) const override {
    const auto& t = tokens_[static_cast<int>(s)];
    int64_t n = static_cast<int64_t>((t.size() - 1) / static_cast<size_t>(len_));
    if (max_examples > 0) n = std::min(n, max_examples);
    double nll = 0;
    int64_t count = 0;
    for (int64_t i = 0; i < n; i += batch) {
      std::vector<size_t> starts;
      for (int64_t j = i; j < std::min(n, i + batch); ++j) starts.push_back(static_cast<size_t>(j * len_));
      auto b = window_batch(t, starts).to(dev);
      auto logits = m->decode(b.tgt_in, b.tgt_pad).to(torch::kFloat);
      auto l = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), b.tgt_out.reshape({-1}),
                                                    torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
      nll += l.item<double>();
      count += b.tgt_out.numel();
    }
    const double bpt = nll / static_cast<double>(count) / std::log(2.0);
    const double tokens_per_byte = static_cast<double>(t.size()) / static_cast<double>(bytes_[static_cast<int>(s)]);
    const std::string p = to_string(s);
    return {{p + "_bpc", bpt * tokens_per_byte}, {p + "_bpt", bpt}};
  }
  Batch example_batch(int64_t batch) const override {
    std::vector<size_t> starts;
    for (int64_t i = 0; i < batch; ++i) starts.push_back(static_cast<size_t>(i * len_) % (tokens_[0].size() - len_ - 1));
    return window_batch(tokens_[0], starts);
  }
  std::pair<int64_t, int64_t> flop_lengths() const override { return {dims_.flop_src_len, dims_.flop_tgt_len}; }

 private:
  int64_t len_;
  ModelDims dims_;
  std::vector<int32_t> tokens_[3];   // by Split: b + 1 for byte b of KJV, else the tokenizer's ids
  size_t bytes_[3] = {0, 0, 0};      // the text each split's tokens stand for
  std::shared_ptr<const Tokenizer> tokenizer_;   // a user's text; null for KJV
  std::string summary_;             // a user's text: describe_lm_data
};

// ---------------------------------------------------------------- g2p, seq2seq
// Source -> target pairs, decoded greedily from BOS. The metrics: edits over reference
// tokens (g2p: phoneme error rate "per", seq2seq: token error rate "ter") and the share
// decoded exactly ("word_acc", "exact_match").
class PairTask : public TextTask {
 public:
  static constexpr int64_t kBos = 1, kEos = 2;
  struct Example {
    std::vector<int64_t> src, tgt;
  };
  struct Names {
    std::string error, exact;
  };
  std::string model_kind() const override { return "encoder_decoder"; }
  ModelShape shape() const override { return shape_of(dims_); }
  std::string metric() const override { return names_.error; }
  std::string input_bytes() const override { return input_bytes_; }
  bool minimize() const override { return true; }
  size_t size(Split s) const override { return data_[static_cast<int>(s)].size(); }

  Batch make_batch(const std::vector<const Example*>& ex) const {
    const int64_t b = static_cast<int64_t>(ex.size());
    int64_t s = 1, t = 1;
    for (auto* e : ex) {
      s = std::max<int64_t>(s, static_cast<int64_t>(e->src.size()));
      t = std::max<int64_t>(t, static_cast<int64_t>(e->tgt.size()) + 1);
    }
    std::vector<int64_t> src(static_cast<size_t>(b * s), kPad), in(static_cast<size_t>(b * t), kPad), out(in.size(), kPad);
    for (int64_t r = 0; r < b; ++r) {
      const auto& e = *ex[static_cast<size_t>(r)];
      std::copy(e.src.begin(), e.src.end(), src.begin() + r * s);
      in[static_cast<size_t>(r * t)] = kBos;
      for (size_t k = 0; k < e.tgt.size(); ++k) {
        in[static_cast<size_t>(r * t) + k + 1] = e.tgt[k];
        out[static_cast<size_t>(r * t) + k] = e.tgt[k];
      }
      out[static_cast<size_t>(r * t) + e.tgt.size()] = kEos;
    }
    Batch bt;
    bt.src = long_tensor(src, b, s);
    bt.src_pad = bt.src.eq(kPad);
    bt.tgt_in = long_tensor(in, b, t);
    bt.tgt_out = long_tensor(out, b, t);
    bt.tgt_pad = bt.tgt_in.eq(kPad);
    return bt;
  }
  Batch sample_train(int64_t batch, Rng& rng) const override {
    const auto& d = data_[0];
    std::vector<const Example*> ex;
    for (int64_t i = 0; i < batch; ++i) ex.push_back(&d[rng.below(d.size())]);
    return make_batch(ex);
  }
  torch::Tensor loss(SeqModel& m, const Batch& b) const override {
    auto memory = m->encode(b.src, b.src_pad);
    return ce_loss(m->decode(b.tgt_in, b.tgt_pad, memory, b.src_pad), b.tgt_out);
  }
  Metrics evaluate(SeqModel& m, Split s, int64_t batch, int64_t max_examples, const torch::Device& dev) const override {
    const auto& d = data_[static_cast<int>(s)];
    int64_t n = static_cast<int64_t>(d.size());
    if (max_examples > 0) n = std::min(n, max_examples);
    int64_t edits = 0, ref_len = 0, correct = 0;
    for (int64_t i = 0; i < n; i += batch) {
      std::vector<const Example*> ex;
      for (int64_t j = i; j < std::min(n, i + batch); ++j) ex.push_back(&d[static_cast<size_t>(j)]);
      auto host = greedy_decode(m, make_batch(ex).to(dev), len_ - 1, /*stop_early=*/true).to(torch::kCPU).contiguous();
      auto acc = host.accessor<int64_t, 2>();
      for (int64_t r = 0; r < host.size(0); ++r) {
        std::vector<int64_t> hyp;
        for (int64_t c = 1; c < host.size(1) && acc[r][c] != kEos; ++c) hyp.push_back(acc[r][c]);
        const auto& ref = ex[static_cast<size_t>(r)]->tgt;
        const int64_t e = edit_distance(hyp, ref);
        edits += e;
        ref_len += static_cast<int64_t>(ref.size());
        correct += e == 0 ? 1 : 0;
      }
    }
    const std::string p = to_string(s);
    return {{p + "_" + names_.error, static_cast<double>(edits) / static_cast<double>(std::max<int64_t>(1, ref_len))},
            {p + "_" + names_.exact, static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(1, n))}};
  }
  Batch example_batch(int64_t batch) const override {
    // Full-length ids: latency is measured at the longest shape.
    Example e;
    e.src.assign(static_cast<size_t>(len_), example_.src.at(0));
    e.tgt.assign(static_cast<size_t>(len_ - 1), example_.tgt.at(0));
    std::vector<const Example*> ex(static_cast<size_t>(batch), &e);
    return make_batch(ex);
  }
  std::pair<int64_t, int64_t> flop_lengths() const override { return {dims_.flop_src_len, dims_.flop_tgt_len}; }
  // Serving is decoding a target: all max_len - 1 steps, so the figure does not
  // depend on when the model happens to emit EOS.
  torch::Tensor infer(SeqModel& m, const Batch& b) const override {
    return greedy_decode(m, b, len_ - 1, /*stop_early=*/false);
  }

 protected:
  // example: one source and one target id that latency batches repeat.
  PairTask(const TaskOptions& o, Names names, Example example)
      : len_(o.max_len), names_(std::move(names)), example_(std::move(example)) {
    if (len_ < 4) throw Error("task.max_len must be >= 4 for " + o.kind + ", got " + std::to_string(len_));
  }
  int64_t len_;
  ModelDims dims_;
  std::vector<Example> data_[3];
  std::string input_bytes_;

 private:
  static torch::Tensor greedy_decode(SeqModel& m, const Batch& b, int64_t steps, bool stop_early) {
    return torchnas::greedy_decode(m, b.src, b.src_pad, steps, {kBos, kEos}, stop_early);
  }

  Names names_;
  Example example_;
};

class G2pTask : public PairTask {
 public:
  static constexpr int64_t kFirstPhone = 3;
  explicit G2pTask(const TaskOptions& o) : PairTask(o, {"per", "word_acc"}, {{'a' + 1}, {kFirstPhone}}) {
    dims_ = *task_model_dims(o);
    const auto words = read_cmudict(dataset_path(o.data, "cmudict.tsv"));
    const auto& phones = arpabet_phones();
    MCTSNAS_CHECK(dims_.tgt_vocab == kFirstPhone + static_cast<int64_t>(phones.size()),
                  "evaluator/task_dims.cpp's g2p vocabulary does not match the phone list");
    for (size_t i = 0; i < words.size(); ++i) {
      const auto& w = words[i];
      // Words too long for max_len are left out of every split alike.
      if (static_cast<int64_t>(w.word.size()) > len_ || static_cast<int64_t>(w.phones.size()) + 1 > len_) continue;
      Example e;
      e.src = bytes_to_ids(w.word, w.word.size());
      if (split_of(i) == Split::train) add_bytes(input_bytes_, w.word, w.word.size());
      for (const auto& p : w.phones)
        e.tgt.push_back(kFirstPhone + (std::find(phones.begin(), phones.end(), p) - phones.begin()));
      data_[static_cast<int>(split_of(i))].push_back(std::move(e));
    }
    for (auto& d : data_)
      if (d.empty()) throw Error("g2p: a split is empty after dropping words longer than task.max_len");
  }
  std::string kind() const override { return "g2p"; }
};

// A user's pairs (user_text_data.h), tokenized as task.tokenizer says.
class Seq2seqTask : public PairTask {
 public:
  explicit Seq2seqTask(const TaskOptions& o)
      : PairTask(o, {"ter", "exact_match"}, {{Tokenizer::kFirst}, {Tokenizer::kFirst}}) {
    auto data = read_seq2seq_data(o);
    static_assert(Tokenizer::kBos == kBos && Tokenizer::kEos == kEos && Tokenizer::kPad == kPad,
                  "the tokenizers' special ids differ from the decoder's");
    for (int k = 0; k < 3; ++k)
      for (auto& p : data.splits[k]) data_[k].push_back({std::move(p.source), std::move(p.target)});
    dims_ = seq2seq_dims(o, data.source->size(), data.target->size());
    summary_ = describe_seq2seq_data(data, o.max_len);
    if (const auto* chars = dynamic_cast<const CharVocab*>(data.source.get())) input_bytes_ = chars->bytes();
    source_ = std::move(data.source);
    target_ = std::move(data.target);
  }
  std::string kind() const override { return "seq2seq"; }
  std::string data_summary() const override { return summary_; }
  const Tokenizer* source_vocab() const override { return source_.get(); }
  const Tokenizer* target_vocab() const override { return target_.get(); }

 private:
  std::shared_ptr<const Tokenizer> source_, target_;
  std::string summary_;
};

// ---------------------------------------------------------------- classify
class ClassifyTask : public TextTask {
 public:
  explicit ClassifyTask(const TaskOptions& o) : len_(o.max_len) {
    if (len_ < 1) throw Error("task.max_len must be >= 1 for classify");
    auto data = read_classify_data(o);
    tokenizer_ = data.tokenizer;
    size_t unknown[3] = {0, 0, 0};   // UNK tokens of each split's whole texts
    for (int k = 0; k < 3; ++k)
      for (const auto& t : data.splits[k]) {
        Example e{tokenizer_ ? tokenizer_->ids(t.text) : bytes_to_ids(t.text, static_cast<size_t>(len_)), t.label};
        unknown[k] += count_unknown(e.ids);
        e.ids.resize(std::min(e.ids.size(), static_cast<size_t>(len_)));
        if (!tokenizer_ && k == static_cast<int>(Split::train)) add_bytes(input_bytes_, t.text, static_cast<size_t>(len_));
        if (e.ids.empty()) e.ids.push_back(tokenizer_ ? Tokenizer::kUnk : '\n' + 1);
        data_[k].push_back(std::move(e));
      }
    for (auto& d : data_)
      if (d.empty()) throw Error("classify: a split is empty");
    summary_ = describe_classify_data(data);
    if (tokenizer_)
      summary_ += "  vocabulary: " + vocabulary_line(*tokenizer_) + "; tokens read as UNK: validation " +
                  std::to_string(unknown[1]) + ", test " + std::to_string(unknown[2]) + "\n";    if (o.class_weights == "balanced") class_weights_ = torch::tensor(balanced_class_weights(data)).to(torch::kFloat);
    // One output per label; the input: 1 + byte, or the tokenizer's ids.
    dims_ = classify_dims(o, static_cast<int64_t>(data.labels.size()), tokenizer_ ? tokenizer_->size() : Tokenizer::kByteVocab);
    labels_ = std::move(data.labels);
    keys_ = label_metric_keys(labels_);
  }
  std::string kind() const override { return "classify"; }
  std::string model_kind() const override { return "encoder_only"; }
  ModelShape shape() const override { return shape_of(dims_); }
  std::string metric() const override { return "accuracy"; }
  std::vector<std::string> labels() const override { return labels_; }
  std::string data_summary() const override { return summary_; }
  std::string input_bytes() const override { return input_bytes_; }
  const Tokenizer* source_vocab() const override { return tokenizer_.get(); }
  bool minimize() const override { return false; }
  size_t size(Split s) const override { return data_[static_cast<int>(s)].size(); }

  struct Example {
    std::vector<int64_t> ids;
    int label;
  };
  Batch make_batch(const std::vector<const Example*>& ex) const {
    const int64_t b = static_cast<int64_t>(ex.size());
    int64_t s = 1;
    for (auto* e : ex) s = std::max<int64_t>(s, static_cast<int64_t>(e->ids.size()));
    std::vector<int64_t> src(static_cast<size_t>(b * s), kPad), labels;
    for (int64_t r = 0; r < b; ++r) {
      std::copy(ex[static_cast<size_t>(r)]->ids.begin(), ex[static_cast<size_t>(r)]->ids.end(), src.begin() + r * s);
      labels.push_back(ex[static_cast<size_t>(r)]->label);
    }
    Batch bt;
    bt.src = long_tensor(src, b, s);
    bt.src_pad = bt.src.eq(kPad);
    bt.labels = long_tensor(labels, b, 1).view({b});
    return bt;
  }
  Batch sample_train(int64_t batch, Rng& rng) const override {
    const auto& d = data_[0];
    std::vector<const Example*> ex;
    for (int64_t i = 0; i < batch; ++i) ex.push_back(&d[rng.below(d.size())]);
    return make_batch(ex);
  }
  torch::Tensor loss(SeqModel& m, const Batch& b) const override {
    auto logits = m->classify(b.src, b.src_pad).to(torch::kFloat);
    if (!class_weights_.defined()) return torch::nn::functional::cross_entropy(logits, b.labels);
    return torch::nn::functional::cross_entropy(
        logits, b.labels, torch::nn::functional::CrossEntropyFuncOptions().weight(class_weights_.to(logits.device())));
  }
  // [true][predicted] counts over the first max_examples of split s (0: all).
  std::vector<std::vector<int64_t>> confusion(SeqModel& m, Split s, int64_t batch, int64_t max_examples,
                                              const torch::Device& dev) const {
    const auto& d = data_[static_cast<int>(s)];
    int64_t n = static_cast<int64_t>(d.size());
    if (max_examples > 0) n = std::min(n, max_examples);
    std::vector<std::vector<int64_t>> cm(labels_.size(), std::vector<int64_t>(labels_.size(), 0));
    for (int64_t i = 0; i < n; i += batch) {
      std::vector<const Example*> ex;
      for (int64_t j = i; j < std::min(n, i + batch); ++j) ex.push_back(&d[static_cast<size_t>(j)]);
      auto b = make_batch(ex).to(dev);
      const auto pred = m->classify(b.src, b.src_pad).argmax(-1).to(torch::kCPU);
      const auto lab = b.labels.to(torch::kCPU);
      const auto p = pred.accessor<int64_t, 1>();
      const auto y = lab.accessor<int64_t, 1>();
      for (int64_t r = 0; r < pred.size(0); ++r) ++cm[static_cast<size_t>(y[r])][static_cast<size_t>(p[r])];
    }
    return cm;
  }
  Metrics evaluate(SeqModel& m, Split s, int64_t batch, int64_t max_examples, const torch::Device& dev) const override {
    const auto cm = confusion(m, s, batch, max_examples, dev);
    const size_t classes = labels_.size();
    int64_t n = 0, correct = 0;
    // F1 of each class (0 when it was never predicted nor present), and their mean
    // (macro-F1): every class counts alike however rare.
    const std::string p = to_string(s);
    Metrics out;
    double macro = 0;
    for (size_t c = 0; c < classes; ++c) {
      int64_t predicted = 0, actual = 0;
      for (size_t k = 0; k < classes; ++k) {
        predicted += cm[k][c];
        actual += cm[c][k];
      }
      n += actual;
      correct += cm[c][c];
      const int64_t tp = cm[c][c], fp = predicted - tp, fn = actual - tp;
      const double f1 = tp == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(2 * tp + fp + fn);
      out[p + "_f1_" + keys_[c]] = f1;
      macro += f1;
    }
    out[p + "_accuracy"] = static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(1, n));
    out[p + "_f1"] = macro / static_cast<double>(classes);
    return out;
  }
  Batch example_batch(int64_t batch) const override {
    Example e{std::vector<int64_t>(static_cast<size_t>(len_), tokenizer_ ? Tokenizer::kFirst : 'a' + 1), 0};
    std::vector<const Example*> ex(static_cast<size_t>(batch), &e);
    return make_batch(ex);
  }
  std::pair<int64_t, int64_t> flop_lengths() const override { return {dims_.flop_src_len, dims_.flop_tgt_len}; }

 private:
  int64_t len_;
  ModelDims dims_;
  std::vector<Example> data_[3];
  std::string input_bytes_;
  std::vector<std::string> labels_, keys_;
  std::string summary_;
  torch::Tensor class_weights_;   // [classes]; undefined: unweighted
  std::shared_ptr<const Tokenizer> tokenizer_;   // null: bytes
};

}  // namespace

Batch Batch::to(const torch::Device& d) const {
  // A host-to-GPU copy from pageable memory waits for the GPU's queue to drain: five
  // syncs per training step, so the CPU could never prepare step n+1 while the GPU
  // runs step n. From pinned memory the copy is queued like a kernel; LibTorch's
  // pinned-memory allocator keeps the block until the copy has run.
  auto mv = [&](const torch::Tensor& t) {
    if (!t.defined()) return t;
    if (d.is_cuda() && t.device().is_cpu()) return t.pin_memory().to(d, /*non_blocking=*/true);
    return t.to(d);
  };
  return {mv(src), mv(src_pad), mv(tgt_in), mv(tgt_out), mv(tgt_pad), mv(labels)};
}

int64_t edit_distance(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  std::vector<int64_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int64_t>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int64_t diag = row[0];
    row[0] = static_cast<int64_t>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int64_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string TextTask::data_summary() const {
  return "  data: train " + std::to_string(size(Split::train)) + ", validation " + std::to_string(size(Split::val)) +
         ", test " + std::to_string(size(Split::test)) + " examples\n";
}

std::vector<std::vector<int64_t>> classify_confusion(const TextTask& task, SeqModel& model, Split s, int64_t batch,
                                                     int64_t max_examples, const torch::Device& device) {
  const auto* c = dynamic_cast<const ClassifyTask*>(&task);
  if (!c) throw Error("a confusion matrix needs a classify task, this one is " + task.kind());
  return c->confusion(model, s, batch, max_examples, device);
}

torch::Tensor greedy_decode(SeqModel& m, const torch::Tensor& src, const torch::Tensor& src_pad, int64_t steps,
                            DecodeTokens tokens, bool stop_early) {
  auto memory = m->encode(src, src_pad);
  const int64_t rows = src.size(0);
  const auto dev = src.device();
  auto ys = torch::full({rows, 1}, tokens.bos, torch::TensorOptions().dtype(torch::kLong).device(dev));
  auto done = torch::zeros({rows}, torch::TensorOptions().dtype(torch::kBool).device(dev));
  for (int64_t step = 0; step < steps; ++step) {
    auto logits = m->decode(ys, torch::zeros_like(ys, torch::kBool), memory, src_pad);
    auto next = logits.select(1, logits.size(1) - 1).argmax(-1);
    next = next.masked_fill(done, tokens.eos);
    ys = torch::cat({ys, next.unsqueeze(1)}, 1);
    done = done | next.eq(tokens.eos);
    if (stop_early && done.all().item<bool>()) break;
  }
  return ys;
}

torch::Tensor TextTask::infer(SeqModel& m, const Batch& b) const {
  const auto kind = model_kind();
  if (kind == "encoder_decoder") return m->decode(b.tgt_in, b.tgt_pad, m->encode(b.src, b.src_pad), b.src_pad);
  if (kind == "decoder_only") return m->decode(b.tgt_in, b.tgt_pad);
  return m->classify(b.src, b.src_pad);
}

std::unique_ptr<TextTask> make_text_task(const TaskOptions& opts) {
  if (opts.kind == "lm") return std::make_unique<LmTask>(opts);
  if (opts.kind == "g2p") return std::make_unique<G2pTask>(opts);
  if (opts.kind == "classify") return std::make_unique<ClassifyTask>(opts);
  if (opts.kind == "seq2seq") return std::make_unique<Seq2seqTask>(opts);
  throw Error("task.kind '" + opts.kind + "': the LibTorch evaluator runs lm, g2p, classify or seq2seq");
}

}  // namespace mctsnas::torchnas
