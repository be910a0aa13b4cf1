#pragma once
// Crash-safe file replacement: write a temp file beside the target, fsync it,
// rename it over the target, fsync the directory. A reader sees the old file or
// the new one, never a torn one.
#include <filesystem>
#include <string_view>

namespace mctsnas {

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Reads a whole file; throws Error naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

// Appends one line and flushes it to the kernel (fsync optional), so a finished
// trial survives a crash of the process.
class AppendFile {
 public:
  AppendFile() = default;
  explicit AppendFile(const std::filesystem::path& path, bool fsync_each = false);
  ~AppendFile();
  AppendFile(AppendFile&&) noexcept;
  AppendFile& operator=(AppendFile&&) noexcept;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  void append_line(std::string_view line);
  bool is_open() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
  bool fsync_each_ = false;
  std::filesystem::path path_;
};

}  // namespace mctsnas
