#pragma once
// The fork server's control channel (runtime/fork_server.h): a SOCK_SEQPACKET socket
// pair carrying one JSON object per message, a request with two descriptors
// (SCM_RIGHTS) attached. Both ends use these.
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mctsnas {

// Longer messages are cut (a request is a few hundred bytes).
constexpr size_t kMaxControlMessage = size_t{1} << 20;

// Sends `body` with `fds` attached (at most 2). False on error (errno set); never SIGPIPE.
bool send_control(int fd, const std::string& body, const std::vector<int>& fds = {});
bool send_control(int fd, const nlohmann::json& j);

// Receives one message (flags as for recvmsg, e.g. MSG_DONTWAIT); descriptors that
// came with it go to `fds` (close-on-exec), or are closed when `fds` is null.
// Returns recvmsg's result: > 0 a message, 0 the peer closed, < 0 an error (errno).
ssize_t recv_control(int fd, std::string& msg, std::vector<int>* fds, int flags = 0);

// Closes every descriptor in `fds` and empties it.
void close_all(std::vector<int>& fds);

}  // namespace mctsnas
