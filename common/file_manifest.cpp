#include "common/file_manifest.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "common/atomic_file.h"
#include "common/crc32.h"
#include "common/error.h"

namespace mctsnas {
namespace fs = std::filesystem;

namespace {

// Size and CRC-32 of a file, read in chunks.
ManifestEntry describe(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open for reading");
  ManifestEntry e;
  e.name = file.filename().string();
  Crc32 crc;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    crc.update(std::string_view(buf, static_cast<size_t>(in.gcount())));
    e.bytes += static_cast<uint64_t>(in.gcount());
  }
  e.crc = crc.value();
  return e;
}

bool plain_name(const std::string& n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos && n.find('\0') == std::string::npos;
}

}  // namespace

void write_manifest(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != kManifestFile &&
        e.path().filename().string().find(".tmp") == std::string::npos)
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string text;
  for (const auto& f : files) {
    ManifestEntry e = describe(f);
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", e.crc);
    text += std::string(crc) + "  " + std::to_string(e.bytes) + "  " + e.name + "\n";
  }
  write_file_atomically(dir / kManifestFile, text);
}

std::vector<ManifestEntry> parse_manifest(std::string_view text, const std::string& name) {
  std::vector<ManifestEntry> out;
  int line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    std::string line(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    const std::string where = name + ":" + std::to_string(line_no);
    size_t a = line.find("  "), b = a == std::string::npos ? a : line.find("  ", a + 2);
    if (a != 8 || b == std::string::npos) throw Error(where + ": expected '<crc32 hex>  <bytes>  <file name>'");
    ManifestEntry e;
    std::string crc = line.substr(0, 8), bytes = line.substr(a + 2, b - a - 2);
    if (crc.find_first_not_of("0123456789abcdef") != std::string::npos)
      throw Error(where + ": CRC '" + crc + "' is not 8 lowercase hex digits");
    if (bytes.empty() || bytes.size() > 19 || bytes.find_first_not_of("0123456789") != std::string::npos)
      throw Error(where + ": size '" + bytes + "' is not a number of bytes");
    e.crc = static_cast<uint32_t>(std::stoul(crc, nullptr, 16));
    e.bytes = std::stoull(bytes);
    e.name = line.substr(b + 2);
    if (!plain_name(e.name)) throw Error(where + ": '" + e.name + "' is not a file name in this directory");
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

std::vector<ManifestEntry> listed_entries(const fs::path& dir, const std::vector<std::string>& required) {
  const fs::path file = dir / kManifestFile;
  if (!fs::exists(file))
    throw Error(file.string() + ": missing, so the exported files cannot be checked; export the run again");
  auto entries = parse_manifest(read_file(file), file.string());
  for (const auto& r : required)
    if (std::none_of(entries.begin(), entries.end(), [&](const ManifestEntry& e) { return e.name == r; }))
      throw Error(file.string() + ": does not list " + r + "; export the run again");
  return entries;
}

}  // namespace

void require_in_manifest(const fs::path& dir, const std::vector<std::string>& required) {
  (void)listed_entries(dir, required);
}

void verify_manifest(const fs::path& dir, const std::vector<std::string>& required) {
  for (const auto& e : listed_entries(dir, required)) {
    const fs::path p = dir / e.name;
    if (!fs::is_regular_file(p)) throw Error(p.string() + ": missing (listed in " + kManifestFile + "); export again");
    ManifestEntry now = describe(p);
    if (now.bytes != e.bytes || now.crc != e.crc)
      throw Error(p.string() + ": changed or damaged since the export (" + std::to_string(now.bytes) + " bytes, " +
                  kManifestFile + " says " + std::to_string(e.bytes) + "; or its checksum differs); export again");
  }
}

}  // namespace mctsnas
