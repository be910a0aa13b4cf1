#pragma once
// Running a shell command from a test: its exit code and its output.
#include <string>

namespace mctsnas::test {

struct ShellResult {
  int code = -1;      // the exit status; -1 when it did not exit normally
  std::string out;    // stdout and stderr together
};
ShellResult run_shell(const std::string& command);

}  // namespace mctsnas::test
