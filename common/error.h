#pragma once
// One project error type crosses module boundaries. Its message is meant for the
// user: it names the file, key or value at fault and what was expected.
#include <stdexcept>
#include <string>

namespace mctsnas {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Internal invariant broken: a bug in mctsnas, not bad input.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void check_failed(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace mctsnas

// Always-on invariant check (also in Release): cheap conditions only.
#define MCTSNAS_CHECK(cond, msg)                                              \
  do {                                                                        \
    if (!(cond)) ::mctsnas::check_failed(#cond, __FILE__, __LINE__, (msg));   \
  } while (0)
