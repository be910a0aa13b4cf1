#include "evaluator/sentencepiece_backend.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "common/error.h"

#ifndef MCTSNAS_SENTENCEPIECE_MODULE
#define MCTSNAS_SENTENCEPIECE_MODULE "libmctsnas_sentencepiece.so"
#endif
#ifndef MCTSNAS_SENTENCEPIECE_INSTALLED
#define MCTSNAS_SENTENCEPIECE_INSTALLED ""
#endif

namespace mctsnas {
namespace {

// Where the module may be: $MCTSNAS_SENTENCEPIECE_MODULE, the build tree's, the
// installed one.
std::vector<std::string> module_paths() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("MCTSNAS_SENTENCEPIECE_MODULE"); env && *env) paths.push_back(env);
  paths.push_back(MCTSNAS_SENTENCEPIECE_MODULE);
  if (*MCTSNAS_SENTENCEPIECE_INSTALLED) paths.push_back(MCTSNAS_SENTENCEPIECE_INSTALLED);
  return paths;
}

SentencePieceEntry open_module() {
  std::string why;
  for (const auto& path : module_paths()) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      why += (why.empty() ? "" : "; ") + path + ": missing";
      continue;
    }
    if (void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)) {
      if (void* f = ::dlsym(h, kSentencePieceEntry)) return reinterpret_cast<SentencePieceEntry>(f);
      why += (why.empty() ? "" : "; ") + path + ": no " + kSentencePieceEntry;
    } else {
      why += (why.empty() ? "" : "; ") + std::string(::dlerror());
    }
  }
  throw Error("task.tokenizer: sentencepiece: cannot load mctsnas's SentencePiece module (" + why +
              "); build it (target mctsnas_sentencepiece, with libsentencepiece-dev) or name it in "
              "MCTSNAS_SENTENCEPIECE_MODULE");
}

}  // namespace

std::unique_ptr<SentencePieceBackend> make_sentencepiece_backend() {
  static std::once_flag once;
  static SentencePieceEntry entry = nullptr;
  static std::string error;
  std::call_once(once, [] {
    try {
      entry = open_module();
    } catch (const Error& e) {
      error = e.what();
    }
  });
  if (!entry) throw Error(error);
  return std::unique_ptr<SentencePieceBackend>(entry());
}

}  // namespace mctsnas
