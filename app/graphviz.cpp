#include "app/graphviz.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

extern char** environ;

namespace mctsnas {

namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  int in = -1;    // our end of its stdin (a socket: send() without SIGPIPE)
  int out = -1;   // our end of its stdout
};

// Starts `program -Tsvg` with stdin and stdout connected to us, stderr to /dev/null.
// Returns pid -1 when it cannot start (not installed).
Child spawn_dot(const std::string& program) {
  Child c;
  int in[2], out[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) return c;
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return c;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::string prog = program, flag = "-Tsvg";
  char* argv[] = {prog.data(), flag.data(), nullptr};
  const int rc = posix_spawnp(&c.pid, prog.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[1]);
  close(out[1]);
  if (rc != 0) {
    close(in[0]);
    close(out[0]);
    c.pid = -1;
    return c;
  }
  c.in = in[0];
  c.out = out[0];
  return c;
}

// Feeds `dot` to the child and collects its output until it closes stdout or the
// deadline passes. Returns false on the deadline.
bool exchange(Child& c, const std::string& dot, std::string& svg, Clock::time_point deadline) {
  size_t sent = 0;
  char buf[65536];
  while (c.out >= 0) {
    if (c.in >= 0 && sent == dot.size()) {
      close(c.in);
      c.in = -1;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p[2] = {{c.out, POLLIN, 0}, {c.in, POLLOUT, 0}};
    const int r = poll(p, c.in >= 0 ? 2 : 1, static_cast<int>(left));
    if (r < 0 && errno != EINTR) return true;
    if (r <= 0) continue;
    if (c.in >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = send(c.in, dot.data() + sent, dot.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<size_t>(n);
      else if (errno != EAGAIN && errno != EINTR) sent = dot.size();   // it stopped reading
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = read(c.out, buf, sizeof buf);
      if (n > 0) svg.append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) break;
    }
  }
  return true;
}

}  // namespace

SvgDrawing render_dot_svg(const std::string& dot, const GraphvizOptions& o) {
  SvgDrawing d;
  const std::string name = "Graphviz `" + o.program + "`";
  Child c = spawn_dot(o.program);
  if (c.pid < 0) {
    d.problem = name + " is not installed (apt install graphviz)";
    return d;
  }
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_seconds));
  const bool in_time = exchange(c, dot, d.svg, deadline);
  if (c.in >= 0) close(c.in);
  close(c.out);
  if (!in_time) kill(c.pid, SIGKILL);
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g s", o.timeout_seconds);
  if (!in_time)
    d.problem = name + " took longer than " + limit;
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    d.problem = name + " failed on the DOT text";
  else if (inline_svg(d.svg).empty())
    d.problem = name + " printed no <svg> element";
  if (!d.problem.empty()) d.svg.clear();
  return d;
}

std::string inline_svg(const std::string& doc) {
  const auto at = doc.find("<svg");
  return at == std::string::npos ? std::string() : doc.substr(at);
}

}  // namespace mctsnas
