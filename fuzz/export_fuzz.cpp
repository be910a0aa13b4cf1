// libFuzzer target: the exported model files as they are read back (RUN_DIR/best/).
// The input is split at the first NUL byte: before it manifest.txt, after it the
// bytes of weights.pt; both are written to a scratch directory and checked with
// verify_manifest (what load_exported_model does before LibTorch reads anything).
// The whole input is also read as architecture.yaml of the NB201 space.
// Property: nothing but mctsnas::Error, one line; a manifest that verifies lists
// weights.pt with exactly its size.
#include <stdlib.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "common/file_manifest.h"
#include "fuzz/fuzz_util.h"
#include "space/arch_io.h"

using namespace mctsnas;
namespace fs = std::filesystem;

namespace {


const fs::path& scratch() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "mctsnas-export-fuzz-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) fuzz::fail("export_fuzz", "mkdtemp failed");
    return fs::path(tmpl);
  }();
  return dir;
}

void write(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view manifest = input.substr(0, nul);
  const std::string_view weights = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  write(scratch() / kManifestFile, manifest);
  write(scratch() / "weights.pt", weights);
  fuzz::expect_only_errors("export_fuzz", [&] {
    verify_manifest(scratch(), {"weights.pt"});
    bool listed = false;
    for (const auto& e : parse_manifest(manifest, "manifest.txt"))
      if (e.name == "weights.pt") listed = e.bytes == weights.size();
    if (!listed) fuzz::fail("export_fuzz", "a manifest verified without weights.pt at its size");
  });
  fuzz::expect_only_errors("export_fuzz", [&] { arch_from_yaml(fuzz::nb201(), input, "architecture.yaml"); });
  return 0;
}
