#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "common/error.h"

namespace mctsnas {
namespace {

[[noreturn]] void sys_fail(const std::string& what, const std::filesystem::path& p) {
  const int err = errno;
  std::string msg = what + " " + p.string() + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS || err == EFBIG) throw IoError(msg);
  if (err == ELOOP) throw Error(msg + " (a symlink: mctsnas writes only files of its own here)");
  throw Error(msg);
}

void write_all(int fd, std::string_view bytes, const std::filesystem::path& p) {
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      sys_fail("cannot write", p);
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());   // a stale temp file, or a symlink someone planted: never followed
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) sys_fail("cannot create", tmp);
  // No empty or partial temp file is left behind (a full disk fails any of these).
  auto fail = [&](const char* what, const std::filesystem::path& p) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    errno = err;
    sys_fail(what, p);
  };
  try {
    write_all(fd, bytes, tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::fsync(fd) != 0) fail("cannot fsync", tmp);
  if (::close(std::exchange(fd, -1)) != 0) fail("cannot close", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename onto", path);
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_file_or_empty(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  if (in) ss << in.rdbuf();
  return ss.str();
}

AppendFile::AppendFile(const std::filesystem::path& path, bool fsync_each)
    : fsync_each_(fsync_each), path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd_ < 0) sys_fail("cannot open for append", path);
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

AppendFile::AppendFile(AppendFile&& o) noexcept
    : fd_(o.fd_), fsync_each_(o.fsync_each_), path_(std::move(o.path_)) {
  o.fd_ = -1;
}

AppendFile& AppendFile::operator=(AppendFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    fsync_each_ = o.fsync_each_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

void AppendFile::append_line(std::string_view line) {
  MCTSNAS_CHECK(fd_ >= 0, "append to a closed file");
  std::string buf(line);
  buf.push_back('\n');
  // One write() per line: O_APPEND makes it land whole at the end.
  write_all(fd_, buf, path_);
  if (fsync_each_ && ::fsync(fd_) != 0) sys_fail("cannot fsync", path_);
}

}  // namespace mctsnas
