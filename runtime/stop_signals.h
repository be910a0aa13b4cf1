#pragma once
// SIGINT/SIGTERM handling for a search: the first signal asks the run loop to stop
// proposing and to give running trials a grace period; a second one asks it to stop
// at once. Finished results are kept either way (trials.jsonl is flushed per trial).
//
// The handler only bumps an atomic counter (async-signal-safe) and writes one line to
// stderr; the run loop polls requested()/immediate(). Worker processes run in their
// own process group, so a Ctrl-C at the terminal reaches only the parent, which then
// decides when the workers die.
#include <atomic>

namespace mctsnas {

class StopSignals {
 public:
  // Installs the handlers for SIGINT and SIGTERM (idempotent).
  static void install();
  // Restores the handlers that were there before install() (tests).
  static void uninstall();
  // At least one signal arrived: stop proposing new trials.
  static bool requested();
  // A second signal arrived: stop now, kill running trials.
  static bool immediate();
  // The number of signals seen so far, and the last one (0 if none).
  static int count();
  static int last_signal();
  // Forget signals seen so far (tests, or a process that runs several searches).
  static void reset();
  // Flags a run loop can watch (SearchRunOptions::stop / stop_now): they turn true
  // with requested() / immediate().
  static const std::atomic<bool>* stop_flag();
  static const std::atomic<bool>* stop_now_flag();
};

// While one lives, a stop signal ends the process at once (exit status 1, one line
// on stderr): for the loading before a run writes anything (a large table, task
// data), when there is nothing to save and no loop to notice the flags yet.
class ExitOnStopWhileLoading {
 public:
  ExitOnStopWhileLoading();
  ~ExitOnStopWhileLoading();
  ExitOnStopWhileLoading(const ExitOnStopWhileLoading&) = delete;
  ExitOnStopWhileLoading& operator=(const ExitOnStopWhileLoading&) = delete;
};

}  // namespace mctsnas
