#pragma once
// Shared by the libFuzzer targets: the property every reader must keep on any
// input (throw nothing but mctsnas::Error, whose message is one line), the NB201
// space they read against, and a file in memory for readers that take a path.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/error.h"
#include "space/space_options.h"

namespace mctsnas::fuzz {

[[noreturn]] inline void fail(const char* target, const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", target, what.c_str());
  std::abort();
}

// Runs `body`; an Error must have a one-line message, anything else is a finding.
inline void expect_only_errors(const char* target, const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    std::string m = e.what();
    if (m.empty() || m.find('\n') != std::string::npos) fail(target, "error message is not one line: " + m);
  } catch (const std::exception& e) {
    fail(target, std::string("threw something other than mctsnas::Error: ") + e.what());
  }
}

// The NB201 space, built once: the space the seeds were written for.
inline const SearchSpace& nb201() {
  static const std::unique_ptr<SearchSpace> space = [] {
    SpaceOptions o;
    o.kind = SpaceKind::nb201;
    return make_space(o);
  }();
  return *space;
}

// `bytes` as a file (memfd, nothing on disk); path() names it while this lives.
class MemFile {
 public:
  explicit MemFile(const std::string& bytes) : fd_(::memfd_create("fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0 || ::write(fd_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
      fail("fuzz", "memfd_create/write failed");
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::filesystem::path path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace mctsnas::fuzz
