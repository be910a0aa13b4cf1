#include "runtime/exit_status.h"

#include <sys/wait.h>

#include <cstring>

namespace mctsnas {

std::string describe_signal(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  const char* desc = sigdescr_np(sig);
  return std::string("SIG") + (abbrev ? abbrev : std::to_string(sig).c_str()) + " (" +
         (desc ? desc : "unknown signal") + ")";
}

std::string describe_exit(int wait_status) {
  if (WIFSIGNALED(wait_status)) return "died of " + describe_signal(WTERMSIG(wait_status));
  if (WIFEXITED(wait_status)) return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
  return "stopped (wait status " + std::to_string(wait_status) + ")";
}

}  // namespace mctsnas
