#pragma once
// Crash-safe file replacement: write a temp file beside the target, fsync it,
// rename it over the target, fsync the directory. A reader sees the old file or
// the new one, never a torn one.
//
// Nothing here writes through a symlink: the temp file is created afresh
// (O_EXCL | O_NOFOLLOW, a stale one or a planted link removed first) and removed
// again when writing fails; appends refuse a symlinked file. Failures of the disk
// (full, quota, I/O error) throw IoError; others (permissions, a symlink) Error.
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace mctsnas {

// The machine failed the run, not its input: the disk is full, a write or fsync
// failed. The CLI exits 1 for it (the run can be resumed), not 2 (bad input).
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Reads a whole file; throws Error naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

// Reads a whole file, or "" when it is missing or unreadable: for optional facts
// (/proc and /sys entries that a kernel or a container may not have).
std::string read_file_or_empty(const std::filesystem::path& path);

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
