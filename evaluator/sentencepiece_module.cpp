// libmctsnas_sentencepiece.so: sentencepiece_backend.h's interface over the
// SentencePiece library (the only file that includes its headers).
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <unordered_map>

#include "evaluator/sentencepiece_backend.h"

namespace mctsnas {
namespace {

class Lines : public sentencepiece::SentenceIterator {
 public:
  explicit Lines(const std::vector<std::string>& lines) : lines_(lines) {}
  bool done() const override { return at_ >= lines_.size(); }
  void Next() override { ++at_; }
  const std::string& value() const override { return lines_[at_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& lines_;
  size_t at_ = 0;
};

class Backend : public SentencePieceBackend {
 public:
  std::string load(const std::string& serialized) override {
    const auto st = sp_.LoadFromSerializedProto(serialized);
    return st.ok() ? "" : st.ToString();
  }
  std::string train(const std::vector<std::string>& lines, const std::map<std::string, std::string>& args,
                    unsigned seed, std::string* model) override {
    sentencepiece::SetRandomGeneratorSeed(seed);
    Lines it(lines);
    const std::unordered_map<std::string, std::string> kwargs(args.begin(), args.end());
    const auto st = sentencepiece::SentencePieceTrainer::Train(kwargs, &it, model);
    return st.ok() ? "" : st.ToString();
  }
  int pieces() const override { return sp_.GetPieceSize(); }
  int pad_id() const override { return sp_.pad_id(); }
  int bos_id() const override { return sp_.bos_id(); }
  int eos_id() const override { return sp_.eos_id(); }
  int unk_id() const override { return sp_.unk_id(); }
  std::vector<int> encode(const std::string& text) const override {
    std::vector<int> ids;
    sp_.Encode(text, &ids).IgnoreError();   // fails only without a model, which load() reported
    return ids;
  }
  std::string decode(const std::vector<int>& pieces) const override { return sp_.DecodeIds(pieces); }

 private:
  sentencepiece::SentencePieceProcessor sp_;
};

}  // namespace
}  // namespace mctsnas

extern "C" __attribute__((visibility("default"))) mctsnas::SentencePieceBackend* mctsnas_sentencepiece_backend() {
  return new mctsnas::Backend();
}
