#pragma once
// manifest.txt beside exported files (RUN_DIR/best/): one line per file,
//   <CRC-32, 8 hex digits>  <size in bytes>  <file name>
// written after the export, checked before anything reads the files back, so a
// damaged or edited weights.pt is an error naming it, not a model that prints
// garbage.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mctsnas {

inline constexpr const char* kManifestFile = "manifest.txt";

struct ManifestEntry {
  uint32_t crc = 0;
  uint64_t bytes = 0;
  std::string name;   // a plain file name in the manifest's directory
};

// Lists every regular file of `dir` (but the manifest) into dir/manifest.txt.
void write_manifest(const std::filesystem::path& dir);

// The manifest's lines; Error naming `name`:line when one is malformed.
std::vector<ManifestEntry> parse_manifest(std::string_view text, const std::string& name);

// Checks that the manifest lists each of `required` and that every listed file has
// its size and CRC-32. Error naming the file that differs (or the missing manifest).
void verify_manifest(const std::filesystem::path& dir, const std::vector<std::string>& required);

// Only the first half: the manifest lists each of `required` (for a file learnt after
// verify_manifest checked every listed one).
void require_in_manifest(const std::filesystem::path& dir, const std::vector<std::string>& required);

}  // namespace mctsnas
