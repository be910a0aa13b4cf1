#pragma once
// Words for how a child process ended, shared by the pool and its fork-server client.
#include <string>

namespace mctsnas {

// "SIGSEGV (Segmentation fault)" for a signal number.
std::string describe_signal(int sig);

// "died of SIGSEGV (Segmentation fault)" or "exited with code 3", from a waitpid status.
std::string describe_exit(int wait_status);

}  // namespace mctsnas
