#pragma once
// The calls into the SentencePiece library, behind an interface of plain virtual
// functions, in a module of their own (libmctsnas_sentencepiece.so,
// sentencepiece_module.cpp) that sentencepiece_tokenizer.cpp loads with
// dlopen(RTLD_LOCAL | RTLD_DEEPBIND). Why: Debian's libsentencepiece carries its own
// copy of protobuf-lite and exports its symbols; linked into a process the usual way,
// they replace those of the libprotobuf that LibTorch loads, which crashes the
// process before main. Loaded apart, each library binds to its own copy.
// No exceptions cross the module boundary: failures come back as messages.
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mctsnas {

class SentencePieceBackend {
 public:
  virtual ~SentencePieceBackend() = default;
  // Loads a serialized model; "" on success, else why not.
  virtual std::string load(const std::string& serialized) = 0;
  // Trains a model on `lines` with SentencePiece's trainer options `args`, seeding its
  // sampling with `seed`; "" and *model set on success, else why not.
  virtual std::string train(const std::vector<std::string>& lines, const std::map<std::string, std::string>& args,
                            unsigned seed, std::string* model) = 0;
  virtual int pieces() const = 0;
  virtual int pad_id() const = 0;
  virtual int bos_id() const = 0;
  virtual int eos_id() const = 0;
  virtual int unk_id() const = 0;
  virtual std::vector<int> encode(const std::string& text) const = 0;
  virtual std::string decode(const std::vector<int>& pieces) const = 0;
};

// The module's entry point, looked up by name.
inline constexpr const char* kSentencePieceEntry = "mctsnas_sentencepiece_backend";
using SentencePieceEntry = SentencePieceBackend* (*)();

// A new backend from the module, loaded on first use; Error when the module cannot
// be found or loaded.
std::unique_ptr<SentencePieceBackend> make_sentencepiece_backend();

}  // namespace mctsnas
