#include "runtime/stop_signals.h"

#include <csignal>
#include <cstring>
#include <unistd.h>

namespace mctsnas {

namespace {
std::atomic<int> g_count{0};
std::atomic<int> g_last{0};
std::atomic<bool> g_stop{false};
std::atomic<bool> g_stop_now{false};
std::atomic<bool> g_loading{false};
bool g_installed = false;
struct sigaction g_old_int, g_old_term;

void write_err(const char* s) {
  // write(2) is async-signal-safe; iostreams are not.
  ssize_t ignored = ::write(STDERR_FILENO, s, std::strlen(s));
  (void)ignored;
}

void on_signal(int sig) {
  if (g_loading.load()) {
    write_err("\nmctsnas: stopped while loading (nothing was written).\n");
    ::_exit(1);
  }
  g_last.store(sig);
  int n = g_count.fetch_add(1) + 1;
  if (n == 1) {
    g_stop.store(true);
    write_err("\nmctsnas: stopping: no new trials; running trials get a grace period. "
              "Press Ctrl-C again to stop at once.\n");
  } else {
    g_stop.store(true);
    g_stop_now.store(true);
    if (n == 2) write_err("\nmctsnas: stopping at once (finished trials are kept).\n");
  }
}
}  // namespace

void StopSignals::install() {
  if (g_installed) return;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  // SA_RESTART keeps ordinary reads/writes going; poll()/sleeps still return early
  // with EINTR, which is what lets a waiting loop notice the stop promptly.
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
  g_installed = true;
}

void StopSignals::uninstall() {
  if (!g_installed) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  g_installed = false;
}

bool StopSignals::requested() { return g_stop.load(); }
bool StopSignals::immediate() { return g_stop_now.load(); }
int StopSignals::count() { return g_count.load(); }
int StopSignals::last_signal() { return g_last.load(); }
void StopSignals::reset() {
  g_count.store(0);
  g_last.store(0);
  g_stop.store(false);
  g_stop_now.store(false);
}
ExitOnStopWhileLoading::ExitOnStopWhileLoading() { g_loading.store(true); }
ExitOnStopWhileLoading::~ExitOnStopWhileLoading() { g_loading.store(false); }

const std::atomic<bool>* StopSignals::stop_flag() { return &g_stop; }
const std::atomic<bool>* StopSignals::stop_now_flag() { return &g_stop_now; }

}  // namespace mctsnas
